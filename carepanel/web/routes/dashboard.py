"""The administrators' dashboard (this week's figures, reviews due, decisions overdue, spending)
and the panel's rules page."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...clock import LONDON, Clock
from ...config import Config
from ...jobs.health import status as health_status
from ...logs import safe_fields
from ...pipeline import calendar
from ..webapp import WebApp, back, log, route


def routes(web: WebApp) -> list[Route]:
    return [
        route(web, "/", dashboard),
        route(web, "/rules", rules_page),
    ]


def _health_or_none(cfg: Config, clock: Clock) -> dict[str, Any] | None:
    """The service's health for the dashboard: the mailbox, the queue, what is overdue."""
    try:
        return health_status(cfg, clock)
    except Exception:  # noqa: BLE001 - the dashboard still shows the rest; /healthz says why
        log.warning("health unavailable for the dashboard", extra=safe_fields(event="health_failed"))
        return None


async def dashboard(web: WebApp, request: Request) -> Response:
    cfg = web.cfg
    user = web.user(request)
    if user.role == "panel_member":
        return back("/panels")
    user = web.need(request, "read")
    today = web.now().date()
    week_start = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time(), tzinfo=LONDON)
    summary = web.store.received_summary(week_start)
    total = summary.total
    reviews = [r for p in calendar.sittings(cfg.profile, today, today + timedelta(days=56))
               for r in web.store.reviews_for(p)]
    overdue = [d for d in web.store.decisions(status="signed")
               if not d.uploaded_at and not d.superseded_by and d.upload_due
               and datetime.fromisoformat(d.upload_due) < web.now()]
    spend: dict[str, float] = defaultdict(float)
    for row in web.store.finance_log():
        spend[row.decision_date[:7]] += float(row.total_cost or 0)
    return web.page(request, "dashboard.html", user, by_status=summary.by_status, total=total,
                    late_rate=summary.late / total if total else 0.0,
                    flagged_rate=summary.flagged / total if total else 0.0,
                    reviews=reviews, overdue=overdue, unmet=web.store.unmet_needs()[-10:],
                    chart=bar_chart(sorted(spend.items())), next_panel=calendar.next_open_panel(cfg.profile, web.now()),
                    health=_health_or_none(cfg, web.clock))


async def rules_page(web: WebApp, request: Request) -> Response:
    """The panel's rules with the policy words each comes from (read-only; administrators and chairs)."""
    from ... import rules

    user = web.need(request, "decide")
    return web.page(request, "rules.html", user, profile=web.cfg.profile, rules=rules.profile_rules(web.cfg.profile))


def bar_chart(points: list[tuple[str, float]]) -> str:
    """Approved spending by month as a small server-drawn SVG (no script, no library)."""
    if not points:
        return ""
    width, height, pad = 560, 180, 30
    top = max(v for _, v in points) or 1.0
    bar = (width - pad) / len(points)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 30}" role="img" '
             f'aria-label="Approved expenditure by month">']
    for i, (month, value) in enumerate(points):
        h = (height - pad) * value / top
        x = pad + i * bar
        parts.append(f'<rect x="{x + 4:.1f}" y="{height - h:.1f}" width="{bar - 8:.1f}" height="{h:.1f}" fill="#1d70b8">'
                     f"<title>{month}: £{value:,.0f}</title></rect>")
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height + 15}" font-size="11" text-anchor="middle">{month}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - h - 4:.1f}" font-size="10" text-anchor="middle">£{value:,.0f}</text>')
    parts.append("</svg>")
    return "".join(parts)
