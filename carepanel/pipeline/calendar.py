"""The panel calendar: when a panel sits, and when its cut-off and papers-out fall.

The rules are ``shared/contract/profiles.md`` ("Calendar rules common to all profiles"):

- working days are Monday to Friday less the bank holidays of England and Wales, substitute
  days included, as the ``holidays`` package knows them (not a hand-written list, so a new
  one-off bank holiday arrives with a package update);
- no panel sits on a bank holiday or on a date in ``panel.cancelled``: that date is simply
  not a sitting, and a form asking for it goes to the next one;
- a deadline is first placed by its rule and then, if it lands on a day that is not a
  working day, moved back to the previous working day at the same time of day.

Everything here is a pure function of its arguments: no I/O, and no reading of the clock,
so the caller passes "now" (``received_at``) and tests can stand on any date, including the
GMT/BST changes.  Every datetime returned is aware and in Europe/London.  Every search is
bounded by :data:`HORIZON`, so an absurd date or a config that cancels every sitting ends in
an answer or an error, never a loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

import holidays

from ..clock import LONDON
from ..profiles import Deadline, PanelRules, Profile
from ..errors import ConfigError
from ..models import Panel

HORIZON = timedelta(days=3 * 366)
"""How far ahead any search for a sitting looks: two years of "asked ahead" and a year of
cancellations to spare.  A profile with no sitting in that span is treated as misconfigured."""

PAST_LIMIT = timedelta(days=366)
"""An asked date older than this before receipt is plainly late: no need to walk to it."""

_MAX_NON_WORKING_RUN = 31
"""Longest run of non-working days we accept when stepping back (England's is 4 or 5)."""


# --------------------------------------------------------------------------- working days


@lru_cache(maxsize=256)
def _bank_holidays(year: int) -> frozenset[date]:
    """One year's bank holidays, built once and frozen.

    A ``holidays`` calendar object fills itself in lazily on lookup, which mutates it; a
    frozenset per year is cheap, safe to share between threads, and computed once.
    ``subdiv="ENG"`` gives the England and Wales bank holidays (Wales's list is identical),
    with substitute days ("Boxing Day (observed)") and one-off days such as state funerals.
    The library knows years 1872-2100 only; outside that it returns nothing, so there only
    weekends are non-working.
    """
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(d: date) -> bool:
    """True for a bank holiday of England and Wales, including substitute days.

    The named day counts too when it falls at a weekend (Christmas Day on a Saturday), so a
    weekend panel would not sit on it either.
    """
    _require_plain_date(d)
    return d in _bank_holidays(d.year)


def is_working_day(d: date) -> bool:
    """Monday to Friday and not a bank holiday of England and Wales."""
    _require_plain_date(d)
    return d.weekday() < 5 and not is_bank_holiday(d)


def _require_plain_date(d: date) -> None:
    """Refuse a datetime: ``datetime == date`` is always False, so it would be silently wrong."""
    if isinstance(d, datetime):
        raise TypeError(f"expected a date, got a datetime ({d!r}); take its London date first")


def _on_or_before_working_day(d: date) -> date:
    """The working day ``d`` itself, or the nearest one before it."""
    for _ in range(_MAX_NON_WORKING_RUN):
        if is_working_day(d):
            return d
        d -= timedelta(days=1)
    raise RuntimeError(f"no working day in the {_MAX_NON_WORKING_RUN} days up to {d}")


def _working_days_before(d: date, n: int) -> date:
    """Count back ``n`` working days from ``d``, not counting ``d`` itself."""
    found = 0
    for _ in range(n * 2 + _MAX_NON_WORKING_RUN * (n // 5 + 1)):
        d -= timedelta(days=1)
        if is_working_day(d):
            found += 1
            if found == n:
                return d
    raise RuntimeError(f"could not count back {n} working days from {d}")


# --------------------------------------------------------------------------- sittings


def sittings(profile: Profile, start: date, end: date) -> list[date]:
    """The panel's sitting dates in ``[start, end]``, oldest first.

    Weekly on ``panel.weekday``, or fortnightly on the dates a whole number of fortnights
    from ``panel.anchor_date`` (before it as well as after: the anchor fixes the rhythm, not
    a first meeting).  Bank holidays and ``panel.cancelled`` dates are left out.
    """
    return list(_iter_sittings(profile.panel, start, end))


def _iter_sittings(rules: PanelRules, start: date, end: date) -> Iterator[date]:
    """Sittings from ``start`` to ``end`` lazily, so a search can stop at the first fit."""
    step = timedelta(days=7 if rules.frequency == "weekly" else 14)
    d = _first_candidate(rules, start)
    cancelled = frozenset(rules.cancelled)
    while d is not None and d <= end:
        if not is_bank_holiday(d) and d not in cancelled:
            yield d
        d = _shift(d, step)


def _first_candidate(rules: PanelRules, start: date) -> date | None:
    """The first date on or after ``start`` in the panel's rhythm (holidays not yet removed)."""
    if rules.frequency == "weekly":
        ahead = (rules.weekday - start.weekday()) % 7
    elif rules.frequency == "fortnightly":
        if rules.anchor_date is None:
            raise ValueError("a fortnightly panel needs panel.anchor_date")
        ahead = (rules.anchor_date - start).days % 14
    else:
        raise ValueError(f"panel.frequency: unknown frequency {rules.frequency!r}")
    return _shift(start, timedelta(days=ahead))


def _shift(d: date, by: timedelta) -> date | None:
    """``d + by``, or None past the ends of the calendar (year 1 or 9999)."""
    try:
        return d + by
    except OverflowError:
        return None


def _until(start: date, span: timedelta) -> date:
    """The end of a search window, clipped to the last representable date."""
    return _shift(start, span) or date.max


def _first_sitting_on_or_after(profile: Profile, d: date) -> date | None:
    """The first sitting on or after ``d`` within :data:`HORIZON`, if there is one."""
    return next(_iter_sittings(profile.panel, d, _until(d, HORIZON)), None)


# --------------------------------------------------------------------------- deadlines


def cutoff_for(profile: Profile, panel_date: date) -> datetime:
    """The last moment a request is on time for the sitting on ``panel_date`` (London time)."""
    return _deadline_at(profile.cutoff, panel_date)


def papers_out_for(profile: Profile, panel_date: date) -> datetime:
    """When the papers for the sitting on ``panel_date`` go to members (London time).

    A papers-out time is a deadline ("by midday Monday"): on a day that is not a working day
    it moves to the *previous* working day at the same time (Rules v2, "Papers out").  It
    never moves to before the cut-off, since forms may still arrive until then: where it
    would (or would land on the cut-off itself), papers go ``[papers_out]
    min_hours_after_cutoff`` hours (default 2) after the cut-off.
    """
    rule = profile.papers_out
    out = _london(_on_or_before_working_day(_deadline_date(rule, panel_date)), rule.time)
    cutoff = cutoff_for(profile, panel_date)
    if out > cutoff:
        return out
    floor = (cutoff.astimezone(timezone.utc) + timedelta(hours=rule.min_hours_after_cutoff)).astimezone(LONDON)
    starts = _london(panel_date, profile.panel.starts)
    return floor if floor < starts else cutoff


def _next_working_day(d: date) -> date:
    d += timedelta(days=1)
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def _deadline_at(deadline: Deadline, panel_date: date) -> datetime:
    """Place a deadline by its rule, move it off a non-working day, and give it its time."""
    day = _on_or_before_working_day(_deadline_date(deadline, panel_date))
    return _london(day, deadline.time)


def _deadline_date(deadline: Deadline, panel_date: date) -> date:
    """The day a deadline's rule names, before any move off a non-working day."""
    if deadline.rule == "weekday_before":
        if deadline.weekday is None:
            raise ValueError("a weekday_before deadline needs a weekday")
        latest = panel_date - timedelta(days=deadline.min_days_before)
        return latest - timedelta(days=(latest.weekday() - deadline.weekday) % 7)
    if deadline.rule == "working_days_before":
        if deadline.days is None or deadline.days < 1:
            raise ValueError("a working_days_before deadline needs days >= 1")
        return _working_days_before(panel_date, deadline.days)
    raise ValueError(f"unknown deadline rule {deadline.rule!r}")


def _london(day: date, at: time) -> datetime:
    """London wall-clock ``at`` on ``day`` as an aware datetime.

    The round trip through UTC turns a wall time that does not exist (inside the hour
    skipped in March) into the real instant, so the value shown is the value compared.
    """
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(timezone.utc).astimezone(LONDON)


def panel(profile: Profile, panel_date: date) -> Panel:
    """The sitting on ``panel_date`` with its times and deadlines.

    It does not check that ``panel_date`` is a sitting (an extraordinary panel can be
    built the same way); use :func:`sittings` for that.
    """
    rules = profile.panel
    return Panel(
        date=panel_date,
        starts_at=_london(panel_date, rules.starts),
        ends_at=_london(panel_date, rules.ends),
        cutoff=cutoff_for(profile, panel_date),
        papers_out=papers_out_for(profile, panel_date),
    )


# --------------------------------------------------------------------------- placing a request


def next_open_panel(profile: Profile, received_at: datetime) -> Panel:
    """The first sitting whose cut-off has not passed when the request arrived.

    A request received at the very instant of the cut-off is on time (``received_at <=
    cutoff``): the policies say "by" or "no later than" the time, and a time stamped to the
    second cannot be fairer to the sender than that.  Raises :class:`ConfigError` when there
    is no sitting at all within :data:`HORIZON` (every date cancelled).
    """
    _require_aware(received_at)
    start = _london_date(received_at)
    for d in _iter_sittings(profile.panel, start, _until(start, HORIZON)):
        if received_at <= cutoff_for(profile, d):
            return panel(profile, d)
    raise ConfigError(
        f"panel.cancelled: no sitting with an open cut-off in the {HORIZON.days} days from {start}"
    )


def resolve_panel(profile: Profile, received_at: datetime, asked: date | None) -> tuple[Panel, bool]:
    """The panel a request goes to, and whether it is late for the one it asked for.

    No date asked: the next open panel, never late.  A date asked: the first sitting on or
    after it (a bank holiday, a cancelled date or a day the panel does not sit moves on to
    the next sitting).  If that sitting's cut-off is still ahead (or exactly now) the request
    goes to it, however far ahead; otherwise it goes to the next open panel and is late.  An
    asked date more than :data:`PAST_LIMIT` before receipt is late without looking further;
    one so far ahead that no sitting follows it within :data:`HORIZON` (a misread year, say)
    is treated as if no date had been asked, and is not late.
    """
    _require_aware(received_at)
    if asked is None:
        return next_open_panel(profile, received_at), False
    oldest = _shift(_london_date(received_at), -PAST_LIMIT)
    if oldest is not None and asked < oldest:
        return next_open_panel(profile, received_at), True
    sitting = _first_sitting_on_or_after(profile, asked)
    if sitting is None:
        return next_open_panel(profile, received_at), False
    if received_at <= cutoff_for(profile, sitting):
        return panel(profile, sitting), False
    return next_open_panel(profile, received_at), True


def _require_aware(received_at: datetime) -> None:
    """A naive time could be UTC or London: an hour's doubt at a cut-off is not acceptable."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError(f"received_at must be timezone-aware, got {received_at!r}")


def _london_date(at: datetime) -> date:
    """The calendar day in London at the instant ``at``."""
    return at.astimezone(LONDON).date()
