"""Is the service doing its job?  One answer for ``carepanel status`` and the web app's ``/healthz``.

The running service writes a heartbeat (``DATA_DIR/run/heartbeat.json``) after every sweep of
the mailbox; the check reads it with the store's counts, so it works from another process
(the CLI, a monitoring agent) without talking to the service.  ``healthy`` is false when the
mailbox cannot be reached, the last sweep is stale while the service claims to run, or
anything is overdue: the figures say which, for the person on call.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import datadir, dbfile
from ..clock import Clock, system_clock
from ..config import Config
from ..mailbox.durable import make_dirs, write_atomic
from ..pipeline import calendar
from ..store import Store

OVERDUE_AFTER = timedelta(hours=1)  # a message or email still not done after this is overdue
STALE_INBOX = timedelta(minutes=5)  # a file still in the folder inbox after this needs a look


def heartbeat_path(cfg: Config) -> Path:
    return cfg.data_dir / "run" / "heartbeat.json"


def note_sweep(cfg: Config, *, mailbox_ok: bool, error: str | None = None, clock: Clock = system_clock) -> None:
    """Called by the service loop after each sweep; never lets a write failure stop the loop."""
    beat = {"pid": os.getpid(), "last_sweep_at": clock().isoformat(timespec="seconds"),
            "mailbox_ok": mailbox_ok, "error": error, "poll_seconds": cfg.mailbox.poll_seconds}
    try:
        make_dirs(heartbeat_path(cfg).parent)
        write_atomic(heartbeat_path(cfg), json.dumps(beat).encode())
    except OSError:
        pass  # a full disk shows as a stale heartbeat, which the check reports


def alarm_path(cfg: Config) -> Path:
    return cfg.data_dir / "run" / "database-alarm.json"


def note_database_problem(cfg: Config, why: str, clock: Clock = system_clock) -> None:
    """The service found its database file deleted or replaced: kept for as long as that process lives."""
    record = {"pid": os.getpid(), "at": clock().isoformat(timespec="seconds"), "problem": why}
    try:
        make_dirs(alarm_path(cfg).parent)
        write_atomic(alarm_path(cfg), json.dumps(record).encode())
    except OSError:
        pass  # the service's log and the administrators' email still say it


def database_problems(cfg: Config, service_pid: int | None) -> list[str]:
    """What is wrong with the database under the running service, cheaply (no full integrity check)."""
    problems: list[str] = []
    try:
        alarm = json.loads(alarm_path(cfg).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        alarm = None
    if alarm and service_pid and int(alarm.get("pid", 0)) == service_pid:
        problems.append(f"database: {alarm.get('problem')}; the service has stopped taking mail in")
    elif service_pid:
        gone = dbfile.deleted_handles(cfg.db_path, service_pid)
        if gone:
            problems.append(f"database: the running service (pid {service_pid}) writes to deleted files "
                            f"({', '.join(gone)}); restart it after 'carepanel verify'")
    return problems


def mailbox_reachable(cfg: Config) -> tuple[bool, str | None]:
    if cfg.mailbox.backend == "folder":
        path = cfg.mailbox.path
        if path is None or not path.is_dir():
            return False, "the inbox folder does not exist"
        if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
            return False, "the inbox folder is not readable and writable by this account"
        return True, None
    # A server mailbox: what the running service last found (it records each connect and failure).
    with Store(cfg.db_path) as store:
        rows = store.mailbox_states(cfg.mailbox.backend)
    if not rows:
        return False, "the service has not connected to the mailbox yet"
    if any(r.connected for r in rows):
        return True, None
    return False, str(rows[0].last_error or "the mailbox cannot be reached")


def _inbox_waiting(cfg: Config) -> tuple[int, int]:
    """Files in the folder inbox, and how many of them have waited longer than STALE_INBOX.

    A file the service cannot take (unreadable by its account, a name it never picks up) would
    otherwise sit there unseen: after a few minutes a waiting file is a problem to look at.
    """
    if cfg.mailbox.backend != "folder" or cfg.mailbox.path is None or not cfg.mailbox.path.is_dir():
        return 0, 0
    waiting = stale = 0
    limit = time.time() - STALE_INBOX.total_seconds()  # file times are the real clock's, not an injected one
    with os.scandir(cfg.mailbox.path) as entries:
        for e in entries:
            try:
                if e.name.startswith(".") or not e.is_file(follow_symlinks=False):
                    continue
                waiting += 1
                stale += e.stat(follow_symlinks=False).st_mtime < limit
            except OSError:
                continue
    return waiting, stale


def _service_state(cfg: Config, now: datetime) -> dict[str, Any]:
    """Whether a service runs comes from its lock on the data directory, which the kernel drops
    the moment the process dies: a heartbeat's pid, once recycled by some other process, would
    pass for a running service.  The heartbeat says only how the sweeps go."""
    pid = datadir.holder(cfg.data_dir)
    running = pid is not None
    try:
        beat: dict[str, Any] = json.loads(heartbeat_path(cfg).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        beat = {}
    last = beat.get("last_sweep_at")
    limit = timedelta(seconds=max(60.0, 5 * float(beat.get("poll_seconds") or 10)))
    stale = running and last is not None and now - datetime.fromisoformat(last) > limit
    return {"running": running, "pid": pid if pid and pid > 0 else None, "last_sweep_at": last,
            "stale": stale, "mailbox_ok_at_last_sweep": beat.get("mailbox_ok") if running else None,
            "last_error": beat.get("error") if running else None}


def _overdue(cfg: Config, store: Store, now: datetime) -> dict[str, int]:
    waiting = store.overdue((now - OVERDUE_AFTER).isoformat(), now.date().isoformat())
    from .packs import due_papers  # late here, so health does not load the pack builder unless asked

    papers = sum(1 for d in due_papers(cfg, store, now)  # sittings with cases whose papers have not gone
                 if calendar.panel(cfg.profile, d).papers_out < now - OVERDUE_AFTER
                 and (store.submissions(status="accepted", panel_date=d) or store.reviews_for(d)))
    return {"messages": waiting.messages, "outgoing": waiting.outgoing, "reviews": waiting.reviews, "papers": papers}


def _next_papers_out(cfg: Config, now: datetime) -> dict[str, str] | None:
    today = now.date()
    for d in calendar.sittings(cfg.profile, today, today + timedelta(days=120)):
        p = calendar.panel(cfg.profile, d)
        if p.papers_out > now:
            return {"panel_date": d.isoformat(), "papers_out": p.papers_out.isoformat()}
    return None


def status(cfg: Config, clock: Clock = system_clock) -> dict[str, Any]:
    """Every figure ``carepanel status`` and ``/healthz`` show; ``healthy`` sums them up."""
    now = clock()
    reachable, why = mailbox_reachable(cfg)
    service = _service_state(cfg, now)
    problems: list[str] = []
    if not reachable:
        problems.append(f"mailbox: {why}")
    if service["stale"]:
        problems.append("service: no mailbox sweep recently")
    problems += database_problems(cfg, service.get("pid") if service["running"] else None)
    waiting, stale_files = _inbox_waiting(cfg)
    if stale_files:
        problems.append(f"inbox: {stale_files} file(s) waiting more than {int(STALE_INBOX.total_seconds() // 60)} "
                        "minutes")
    with Store(cfg.db_path) as store:
        figures = store.ops_figures()
        overdue = _overdue(cfg, store, now)
    ledger, out = figures.ledger, figures.outgoing
    queue = {"inbox_files": waiting, "inbox_stale_files": stale_files, "messages_received": ledger.get("received", 0),
             "messages_failed": ledger.get("failed", 0), "messages_refused": ledger.get("refused", 0),
             "outgoing_pending": out.get("pending", 0) + out.get("failed", 0)}
    queue["depth"] = queue["messages_received"] + queue["messages_failed"] + queue["outgoing_pending"]
    overdue["total"] = sum(overdue.values())
    if overdue["total"]:
        problems.append(f"overdue: {overdue['total']} item(s)")
    return {
        "healthy": not problems,
        "problems": problems,
        "checked_at": now.isoformat(timespec="seconds"),
        "profile": cfg.profile.name,
        "mailbox": {"backend": cfg.mailbox.backend, "reachable": reachable, "detail": why},
        "service": service,
        "queue": queue,
        "last_message_at": figures.last_message_seen_at,
        "last_received_at": figures.last_received_at,
        "next_papers_out": _next_papers_out(cfg, now),
        "overdue": overdue,
        "submissions": figures.submissions,
        "schema_version": figures.schema_version,
    }


def healthz(cfg: Config, clock: Clock = system_clock) -> tuple[int, dict[str, Any]]:
    """For the web app: HTTP 200 with the figures when healthy, 503 when not."""
    try:
        data = status(cfg, clock)
    except Exception as exc:  # noqa: BLE001 - a health check that crashes is itself the answer
        return 503, {"healthy": False, "problems": [f"status failed: {type(exc).__name__}"]}
    return (200 if data["healthy"] else 503), data


def status_text(data: dict[str, Any]) -> str:
    q, o, s = data["queue"], data["overdue"], data["service"]
    nxt = data["next_papers_out"]
    lines = [
        f"health:         {'ok' if data['healthy'] else 'PROBLEM: ' + '; '.join(data['problems'])}",
        f"mailbox:        {data['mailbox']['backend']} {'reachable' if data['mailbox']['reachable'] else 'UNREACHABLE'}",
        (f"service:        {'running (pid ' + str(s.get('pid')) + ')' if s['running'] else 'not running'}"
         f", last sweep {s['last_sweep_at'] or 'never'}"),
        (f"queue depth:    {q['depth']} (inbox files {q['inbox_files']}, failed {q['messages_failed']},"
         f" outgoing {q['outgoing_pending']})"),
        f"last message:   {data['last_message_at'] or 'none yet'}",
        f"next papers out: {nxt['papers_out'] + ' for panel ' + nxt['panel_date'] if nxt else 'no sitting ahead'}",
        (f"overdue:        {o['total']} (messages {o['messages']}, emails {o['outgoing']}, reviews {o['reviews']},"
         f" packs not sent {o.get('papers', 0)})"),
    ]
    return "\n".join(lines)
