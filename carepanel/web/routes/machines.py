"""Endpoints for machines, not people, so without a session: /healthz for a monitoring agent
(figures only, no names) and Microsoft Graph's change notifications."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..webapp import WebApp, route


def routes(web: WebApp) -> list[Route]:
    return [
        route(web, "/healthz", healthz),
        route(web, "/graph/notifications", graph_notifications, methods=["POST"]),
    ]


async def healthz(web: WebApp, request: Request) -> Response:
    """Mailbox, last sweep, queue, next papers-out, overdue items: figures only, no names."""
    from ...jobs.health import healthz as health_check

    code, data = health_check(web.cfg, web.clock)
    return JSONResponse(data, status_code=code)


async def graph_notifications(web: WebApp, request: Request) -> Response:
    """Microsoft Graph's webhook: no session (Graph cannot sign in), so it only wakes the
    mailbox loop; the clientState secret is checked and the delta query decides what is new."""
    from ...mailbox.graph_notify import handle

    cfg = web.cfg
    secret_env = cfg.mailbox.notification_secret_env
    from ...mailbox.graph_notify import MAX_BODY

    body = b""
    async for chunk in request.stream():  # read no more than a batch of notifications can be
        body += chunk
        if len(body) > MAX_BODY:
            return Response(status_code=413)
    answer = handle(dict(request.query_params), body,
                    os.environ.get(secret_env) if secret_env and cfg.mailbox.notification_url else None)
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type)
