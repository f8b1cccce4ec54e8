"""The command line: a thin face over the library, exactly as the contract says.

Every command is a few lines; errors are turned into a message (or a JSON error object)
in one place, ``CarepanelGroup.invoke``, so no user ever sees a traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .clock import Clock, system_clock
from .config import Config, load_config
from .profiles import PROFILE_NAMES, builtin_forms, forms_for
from .errors import CarepanelError, ConfigError

if TYPE_CHECKING:  # the store is imported by the commands that open it, so `--help` stays quick
    from .store import Store, StoredSubmission

log = logging.getLogger("carepanel.cli")


@dataclass
class State:
    config_path: str | None
    data_dir: str | None
    profile: str | None
    _cfg: Config | None = field(default=None, repr=False)
    clock: Clock = system_clock  # "now" for the commands that judge a time (decide, sign, ...)

    def config(self, check_files: bool = False, *, project_only_logs: bool = False) -> Config:
        """The config; logs go to its data dir.  ``project_only_logs``: a command that needs no
        data dir (``parse``) writes logs only where a config or --data-dir names one, never a
        ``./data/logs`` in whatever folder it is run from."""
        if self._cfg is None:
            self._cfg = load_config(self.config_path, data_dir=self.data_dir, profile=self.profile,
                                    check_files=check_files)
            if not project_only_logs or self._cfg.path is not None or self.data_dir is not None:
                from .logs import setup_logging

                setup_logging(self._cfg.log_dir)
        return self._cfg

    def store(self) -> Store:
        """The configured database, for ``with state.store() as store:``."""
        from .store import Store

        return Store(self.config().db_path)


def _emit(data: Any, as_json: bool, human: str) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(human)


def _fail(exc: CarepanelError, as_json: bool) -> NoReturn:
    if as_json:
        click.echo(json.dumps(exc.to_json(), ensure_ascii=False))
    else:
        click.echo(f"carepanel: {exc.detail}", err=True)
    sys.exit(1)


def _guarded(invoke: Any, ctx: click.Context) -> Any:
    """The one place an exception becomes a message: a flag code, or 'internal error' plus the log."""
    as_json = bool(ctx.params.get("as_json"))
    try:
        return invoke(ctx)
    except CarepanelError as exc:
        _fail(exc, as_json)
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
        raise
    except KeyboardInterrupt:
        click.echo("carepanel: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - a bug becomes a message, its frames go to the log
        log.exception("internal error")
        err = CarepanelError(f"internal error ({type(exc).__name__}); details are in the log", code="internal_error")
        _fail(err, as_json)


class CarepanelCommand(click.Command):
    """A sub-command whose errors are reported in its own --json mode."""

    def invoke(self, ctx: click.Context) -> Any:
        return _guarded(super().invoke, ctx)


class CarepanelGroup(click.Group):
    """Every command and sub-group made from this group is guarded the same way."""

    command_class = CarepanelCommand
    group_class = type

    def invoke(self, ctx: click.Context) -> Any:
        return _guarded(super().invoke, ctx)


@click.group(cls=CarepanelGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="The TOML configuration.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where the database, archive and outputs live.")
@click.option("--profile", type=click.Choice(PROFILE_NAMES), help="A built-in panel profile, overriding the config's.")
@click.version_option(package_name="carepanel")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, data_dir: str | None, profile: str | None) -> None:
    """carepanel: request forms in, judged submissions, packs and decisions out."""
    # A caller embedding the CLI (a test) may pass its clock as the context object.
    clock = ctx.obj if callable(ctx.obj) else system_clock
    ctx.obj = State(config_path, data_dir, profile, clock=clock)


# --------------------------------------------------------------------------- config


@main.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@click.pass_obj
def config_check(state: State) -> None:
    """Validate the config, its profile and the staff directory.

    Example: carepanel --config /etc/carepanel/config.toml config check
    """
    from .directory import directory_for

    cfg = state.config(check_files=True)
    directory = directory_for(cfg)
    where = cfg.path or "built-in defaults (no config.toml found)"
    click.echo(f"ok: {where}")
    click.echo(f"  profile:   {cfg.profile.name} ({cfg.profile.title}, {cfg.profile.council})")
    click.echo(f"  data dir:  {cfg.data_dir}")
    click.echo(f"  mailbox:   {cfg.mailbox.backend} {cfg.mailbox.path or getattr(cfg.mailbox.settings, 'host', None) or ''}")
    click.echo(f"  outbox:    {cfg.outbox.backend} {cfg.outbox.path or ''}")
    click.echo(f"  directory: {len(directory.members)} people" + (f" from {cfg.directory_csv}" if cfg.directory_csv else " (none configured)")
               + (" and the Exchange address-book copy" if cfg.directory_exchange_groups else ""))


# --------------------------------------------------------------------------- parse / ingest


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the request object as JSON.")
@click.pass_obj
def parse(state: State, file: str, as_json: bool) -> None:
    """Read one request form and print the request.

    Example: carepanel parse form.docx --json
    """
    from . import parsers
    from .directory import Directory
    from .office import LazyConverter
    from .pipeline.intake import IntakeContext, read_request_file
    from .models import Attachment

    cfg = state.config(project_only_logs=True)
    path = Path(file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CarepanelError(f"cannot read {path.name}: {exc.strerror}", code="unreadable_attachment") from exc
    # The intake's own path (LibreOffice for .doc/.odt/.rtf, OCR for scans), so a user checking
    # one form sees what the service would read; LibreOffice starts only if the file needs it.
    office = LazyConverter(workers=1, timeout=cfg.pack.office_timeout_seconds)
    try:
        ctx = IntakeContext(cfg.profile, Directory(), cfg.limits, forms_for(cfg.learned_forms),
                            parsers.read_request, office.to_docx)
        request = read_request_file(Attachment.of(path.name, "application/octet-stream", data), ctx, date.today())
    finally:
        office.close()
    doc = request.to_json()
    _emit(doc, as_json, _request_text(doc))


@main.group("form")
def form_group() -> None:
    """Council request forms: learn a new council's form from its blank copy."""


@form_group.command("learn")
@click.argument("blank", type=click.Path(dir_okay=False))
@click.option("--name", required=True, help="The form's name; a request read with it has this as `form`.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The form description to write (.toml).")
@click.option("--json", "as_json", is_flag=True, help="Print what was learned as JSON.")
def form_learn(blank: str, name: str, out: str, as_json: bool) -> None:
    """Write a form description from a council's blank form (.docx, .doc, .odt or fillable PDF).

    Needs no config.  Name the written file in the config as [form] file = "FILE.toml".
    Example: carepanel form learn blank.docx --name riverside --out riverside-form.toml
    """
    from .config import build_config
    from .office import LazyConverter
    from .parsers.learn import learn_file, to_toml

    path = Path(blank)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CarepanelError(f"cannot read {path.name}: {exc.strerror}", code="unreadable_attachment") from exc
    if not name.strip():
        raise ConfigError("--name: give the form a name")
    office = LazyConverter(workers=1)
    try:
        form = learn_file(path.name, data, name.strip(), limits=build_config({}, base=Path.cwd()).limits,
                           to_docx=office.to_docx)
    finally:
        office.close()
    target = Path(out)
    try:
        target.write_text(to_toml(form), encoding="utf-8")
    except OSError as exc:
        raise CarepanelError(f"cannot write {target}: {exc.strerror}", code="internal_error") from exc
    doc = {"form": form.name, "out": str(target), "markers": form.markers, "labels": form.labels,
           "children": form.children, "signatures": form.signatures, "unmapped": form.unmapped}
    human = [f"wrote {target}: {len(form.labels)} labels mapped, {len(form.children)} children's table(s), "
             f"{len(form.signatures)} signature place(s)"]
    if form.unmapped:
        human.append("not mapped (add them to [form.labels] by hand, or leave them out):")
        human += [f"  {label}" for label in form.unmapped]
    human.append(f'name it in the config:  [form]  file = "{target.name}"')
    _emit(doc, as_json, "\n".join(human))


def _request_text(doc: dict[str, Any]) -> str:
    lines = [f"form:     {doc['form'] or 'unrecognised layout'}"]
    for c in doc["children"]:
        lines.append(f"child:    {c['name']}  dob {c['dob']}  id {c['child_id']}")
    lines.append(f"request:  {(doc['request'] or '')[:100]}")
    lines.append(f"types:    {', '.join(doc['request_types'])}")
    lines.append(f"missing:  {', '.join(doc['missing']) or 'nothing'}")
    return "\n".join(lines)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--received-at", help="Mailbox receipt time, ISO 8601 with offset.")
@click.option("--json", "as_json", is_flag=True, help="Print the submission object as JSON.")
@click.pass_obj
def ingest(state: State, file: str, received_at: str | None, as_json: bool) -> None:
    """Process one email as if it had just arrived in the panel mailbox.

    Example: carepanel ingest request.eml --received-at 2026-11-20T11:58:00+00:00 --json
    """
    from .service import open_service

    when = _aware(received_at, "--received-at") if received_at else None
    try:
        raw = Path(file).read_bytes()
    except OSError as exc:
        raise CarepanelError(f"cannot read {Path(file).name}: {exc.strerror}", code="unreadable_message") from exc
    with open_service(state.config()) as service:
        outcome = service.ingest_bytes(raw, source="cli", received_at=when)
    if outcome.submission is None:
        assert outcome.error is not None
        raise outcome.error
    _emit(outcome.submission.to_json(), as_json, _submission_line(outcome.submission))


def _aware(text: str, option: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option}: {text!r} is not an ISO 8601 time like 2026-11-20T11:58:00+00:00") from None
    if value.tzinfo is None:
        raise ConfigError(f"{option}: {text!r} has no UTC offset (add +00:00, or +01:00 in summer time)")
    return value


def _submission_line(s: StoredSubmission) -> str:
    flags = ", ".join(s.flag_codes) or "-"
    return f"{s.id}  {s.status:<10} panel {s.panel_date}  flags: {flags}"


@main.command()
@click.option("--status", type=click.Choice(["accepted", "flagged", "superseded", "rejected"]))
@click.option("--panel-date", help="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def submissions(state: State, status: str | None, panel_date: str | None, as_json: bool) -> None:
    """List submissions.

    Example: carepanel submissions --status flagged --panel-date 2026-11-25 --json
    """
    from .store import Store

    day = _date(panel_date, "--panel-date") if panel_date else None
    cfg = state.config()
    with Store(cfg.db_path) as store:
        rows = store.submissions(status=status, panel_date=day)
    _emit([r.to_json() for r in rows], as_json, "\n".join(_submission_line(r) for r in rows) or "no submissions")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def failures(state: State, as_json: bool) -> None:
    """Messages that could not be processed: why, how often tried, and when they are tried again.

    Refused messages (too large, not an email) are not retried; failed ones are, with backoff.
    Example: carepanel failures --json
    """
    with state.store() as store:
        rows = [{"sha256": e.sha256, "message_id": e.message_id, "source": e.source, "status": e.status,
                 "attempts": e.attempts, "next_attempt_at": e.next_attempt_at.isoformat() if e.next_attempt_at else None,
                 "code": e.error_code, "reason": e.error} for e in store.failed_messages()]
    human = "\n".join(f"{r['status']:<8} {r['attempts']} tries  next {r['next_attempt_at'] or '-':<25} {r['code']}: {r['reason']}"
                      f"  ({r['message_id']})" for r in rows)
    _emit(rows, as_json, human or "no failed messages")


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option}: {text!r} is not a date like 2026-11-25") from None


@main.command("calendar")
@click.option("--from", "start", help="First date (YYYY-MM-DD); default today.")
@click.option("--count", default=8, show_default=True, help="How many sittings.")
@click.pass_obj
def calendar_cmd(state: State, start: str | None, count: int) -> None:
    """Show the coming sittings with their cut-off and papers-out times.

    Example: carepanel --profile bexley calendar --count 4
    """
    from datetime import timedelta

    from .clock import LONDON
    from .pipeline import calendar

    cfg = state.config()
    first = _date(start, "--from") if start else date.today()
    dates = calendar.sittings(cfg.profile, first, first + timedelta(days=15 * max(count, 1) + 30))[:count]
    fmt = "%a %d %b %Y %H:%M"
    for d in dates:
        p = calendar.panel(cfg.profile, d)
        click.echo(f"{d:%a %d %b %Y}  cut-off {p.cutoff.astimezone(LONDON):{fmt}}  papers {p.papers_out.astimezone(LONDON):{fmt}}")


@main.command("rules")
@click.option("--profile", "profile_name", type=click.Choice(PROFILE_NAMES),
              help="The panel whose rules to show (default: the config's).")
@click.option("--json", "as_json", is_flag=True, help="The rules as a JSON array.")
@click.option("--markdown", is_flag=True, help="docs/rules.md: every built-in profile, with the tests that prove each rule.")
@click.pass_obj
def rules_cmd(state: State, profile_name: str | None, as_json: bool, markdown: bool) -> None:
    """The panel's rules in plain English, each with the policy words it comes from.

    Example: carepanel rules --profile swindon
    """
    from . import rules

    if markdown:
        tests = rules.default_tests_dir()
        click.echo(rules.markdown(rules.tests_index(tests) if tests else {}), nl=False)
        return
    name = profile_name or state.profile
    cfg = load_config(state.config_path, data_dir=state.data_dir, profile=name)
    found = rules.profile_rules(cfg.profile)
    _emit({"profile": cfg.profile.name, "council": cfg.profile.council, "title": cfg.profile.title,
           "rules": [r.to_json() for r in found]}, as_json, rules.as_text(cfg.profile))


# --------------------------------------------------------------------------- service


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-web", is_flag=True, help="Run the mailbox service only.")
@click.pass_obj
def run(state: State, host: str, port: int, no_web: bool) -> None:
    """Watch the mailbox, send what is due, serve the web app. Stop with Ctrl-C.

    Example: carepanel --config config.toml run --no-web
    """
    from .service import run_forever

    run_forever(state.config(check_files=True), web=not no_web, host=host, port=port, echo=click.echo)


@main.command()
@click.option("--dir", "folder", default="demo", show_default=True, type=click.Path(file_okay=False),
              help="Where the demo's config, mailbox and data go.")
@click.option("--serve/--no-serve", default=False, help="Keep the service running afterwards.")
@click.pass_obj
def demo(state: State, folder: str, serve: bool) -> None:
    """Seed a mailbox with sample mail, process it, and show what happened.

    Example: carepanel demo --dir demo --serve
    """
    from .demo import run_demo

    run_demo(Path(folder), profile=state.profile, serve=serve, echo=click.echo)


# --------------------------------------------------------------------------- the pack and agenda


@main.group("pack")
def pack_group() -> None:
    """Build and send the panel pack."""


@pack_group.command("build")
@click.option("--panel-date", required=True, help="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True, help="Print the contract's pack object.")
@click.pass_obj
def pack_build(state: State, panel_date: str, as_json: bool) -> None:
    """Build the pack PDF for a panel (a new revision if one exists).

    Example: carepanel pack build --panel-date 2026-12-02 --json
    """
    from .jobs import packs
    from .service import open_service

    day = _date(panel_date, "--panel-date")
    with open_service(state.config()) as service:
        bar_state: dict[str, Any] = {}

        def progress(done: int, total: int, label: str) -> None:
            bar = bar_state.get("bar")
            if bar is None:
                bar = bar_state["bar"] = click.progressbar(length=total, label="building the pack", file=sys.stderr)
                bar.__enter__()
            bar.label = label
            bar.update(done - bar.pos)

        try:
            result = packs.build(service.cfg, service.store, service.processor.archive, day, progress=progress)
        finally:
            if "bar" in bar_state:
                bar_state["bar"].__exit__(None, None, None)
    human = f"{result.path} ({result.pages} pages, {len(result.cases)} cases, revision {result.revision})"
    human += "".join(f"\n  warning: {w}" for w in result.warnings)
    _emit(result.to_json(), as_json, human)


@pack_group.command("send")
@click.option("--panel-date", required=True, help="YYYY-MM-DD")
@click.option("--rebuild", is_flag=True, help="Build a new revision first (after a change to the agenda).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def pack_send(state: State, panel_date: str, rebuild: bool, as_json: bool) -> None:
    """Send the pack to the chair and members, and each case's slot to its staff.

    Example: carepanel pack send --panel-date 2026-12-02
    """
    from .jobs import packs
    from .service import open_service

    day = _date(panel_date, "--panel-date")
    with open_service(state.config()) as service:
        result = packs.send(service.cfg, service.store, service.processor.archive, service.processor.directory, day,
                            rebuild=rebuild)
        service.deliver_due()
    how = "as a link" if result["as_link"] else "attached"
    _emit(result, as_json, f"pack revision {result['revision']} sent {how} to {result['sent_to']} people; "
                           f"{result['slot_notices']} slot notices")


@main.group("agenda")
def agenda_group() -> None:
    """See and change a panel's agenda (each change is in the audit log)."""


def _agenda_json(state: State, day: date) -> dict[str, Any]:
    from .jobs import packs
    from .store import Store

    cfg = state.config()
    with Store(cfg.db_path) as store:
        return packs.agenda_for(cfg, store, day).to_json()


@agenda_group.command("show")
@click.option("--panel-date", required=True, help="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def agenda_show(state: State, panel_date: str, as_json: bool) -> None:
    """The agenda with time slots; items past the sitting's end are listed as overflow."""
    data = _agenda_json(state, _date(panel_date, "--panel-date"))
    lines = [f"{s['slot']}-{s['ends']}  {s['ref_id']:<22} {s['kind']:<12} {s['child_ref'] or '':<24} {s['title']}"
             for s in data["slots"]]
    lines += [f"OVERFLOW {s['slot']}  {s['ref_id']:<22} {s['kind']:<12} {s['child_ref'] or '':<24} {s['title']}"
              for s in data["overflow"]]
    _emit(data, as_json, "\n".join(lines) or "nothing on the agenda")


def _kind_of(state: State, day: date, ref: str) -> str:
    for s in _agenda_json(state, day)["slots"] + _agenda_json(state, day)["overflow"]:
        if s["ref_id"] == ref:
            return str(s["kind"])
    raise CarepanelError(f"{ref} is not on the agenda for {day}", code="panel_error")


def _actor(by: str | None) -> str:
    return by or f"cli:{os.environ.get('USER', 'unknown')}"


@agenda_group.command("order")
@click.option("--panel-date", required=True, help="YYYY-MM-DD")
@click.argument("refs", nargs=-1, required=True)
@click.option("--by", help="Who is making the change (for the audit log).")
@click.pass_obj
def agenda_order(state: State, panel_date: str, refs: tuple[str, ...], by: str | None) -> None:
    """Put these items first, in this order (the rest follow in the usual order)."""
    day = _date(panel_date, "--panel-date")
    kinds = [(ref, _kind_of(state, day, ref)) for ref in refs]
    with state.store() as store:
        store.set_agenda_order(day, kinds, actor=_actor(by))
    click.echo(f"agenda for {day}: {', '.join(refs)} first")


@agenda_group.command("withdraw")
@click.option("--panel-date", required=True, help="YYYY-MM-DD")
@click.argument("ref")
@click.option("--reason", required=True)
@click.option("--by", help="Who is making the change (for the audit log).")
@click.pass_obj
def agenda_withdraw(state: State, panel_date: str, ref: str, reason: str, by: str | None) -> None:
    """Take an item off the agenda, with the reason."""
    day = _date(panel_date, "--panel-date")
    kind = _kind_of(state, day, ref)
    with state.store() as store:
        store.withdraw_from_agenda(day, ref, kind, actor=_actor(by), reason=reason)
    click.echo(f"{ref} withdrawn from {day}")


@agenda_group.command("move")
@click.argument("submission_id")
@click.option("--to", "to_date", required=True, help="The other panel's date, YYYY-MM-DD.")
@click.option("--reason", required=True)
@click.option("--by", help="Who is making the change (for the audit log).")
@click.pass_obj
def agenda_move(state: State, submission_id: str, to_date: str, reason: str, by: str | None) -> None:
    """Move a case to another panel (the same action as ``review move``)."""
    day = _date(to_date, "--to")
    with _reviewing(state, by) as review:
        review.move(submission_id, to=day, reason=reason)
    click.echo(f"{submission_id} moved to {day}")


@agenda_group.command("add")
@click.option("--panel-date", required=True, help="YYYY-MM-DD")
@click.option("--title", required=True, help="What the panel is asked to consider.")
@click.option("--kind", type=click.Choice(["manual", "ratification"]), default="manual", show_default=True)
@click.option("--team")
@click.option("--complex", "complex_case", is_flag=True, help="Give it the longer slot.")
@click.option("--by", help="Who is making the change (for the audit log).")
@click.pass_obj
def agenda_add(state: State, panel_date: str, title: str, kind: str, team: str | None, complex_case: bool,
               by: str | None) -> None:
    """Add an item by hand: an emergency decision to ratify, a late form the chair allowed."""
    day = _date(panel_date, "--panel-date")
    with state.store() as store:
        item = store.add_agenda_item(day, title, kind=kind, team=team, complex_case=complex_case, actor=_actor(by))
    click.echo(item)


# --------------------------------------------------------------------------- review


@main.group("review")
def review_group() -> None:
    """The administrator's review actions, as in the web app's queue: same rules, same audit log.

    Each prints the submission object with --json; a refusal exits 1 with a code.  Who acted
    goes in the audit log: --by (an email address), else cli: and your login name.

    \b
    Example:
      carepanel review accept SUB --reason "papers complete" --by pat.admin@example.gov.uk --json
    """


@contextlib.contextmanager
def _reviewing(state: State, by: str | None) -> Iterator[Any]:
    from .directory import directory_for
    from .jobs.review import Review
    from .store import Store

    cfg = state.config()
    with Store(cfg.db_path) as store:
        yield Review(cfg, store, directory_for(cfg), actor=_actor(by))


def _review_command(name: str) -> Callable[[Callable[..., Any]], Any]:
    """A ``review`` sub-command: SUBMISSION_ID, --by and --json, then the action's own options."""
    def wrap(f: Callable[..., Any]) -> Any:
        f = click.option("--json", "as_json", is_flag=True, help="Print the submission object as JSON.")(f)
        f = click.option("--by", "--as", "by", help="Who is acting, for the audit log (default: cli:$USER).")(f)
        f = click.argument("submission_id")(f)
        return review_group.command(name)(click.pass_obj(f))
    return wrap


def _reviewed(sub: StoredSubmission, as_json: bool) -> None:
    _emit(sub.to_json(), as_json, _submission_line(sub))


@_review_command("accept")
@click.option("--reason", default="", help="Why, for the audit log (required).")
def review_accept(state: State, submission_id: str, reason: str, by: str | None, as_json: bool) -> None:
    """List for panel despite its flags.

    Example: carepanel review accept SUB --reason "papers complete, sent by hand" --json
    """
    with _reviewing(state, by) as review:
        _reviewed(review.accept(submission_id, reason=reason), as_json)


@_review_command("accept-late")
@click.option("--chair", default="", help="The chair who agreed to hear it late (required).")
@click.option("--when", help="When the chair agreed (default: now).")
@click.option("--panel-date", help="The sitting that hears it, YYYY-MM-DD (default: the one it is listed for).")
@click.option("--reason", default="", help="Why, for the audit log (required).")
def review_accept_late(state: State, submission_id: str, chair: str, when: str | None, panel_date: str | None,
                       reason: str, by: str | None, as_json: bool) -> None:
    """Accept a late submission with the chair's agreement.

    Example: carepanel review accept-late SUB --chair "Dana Chair" --reason "court date next week"
    """
    from .clock import LONDON

    day = _date(panel_date, "--panel-date") if panel_date else None
    when = when or f"{state.clock().astimezone(LONDON):%d/%m/%Y %H:%M}, as recorded"
    with _reviewing(state, by) as review:
        _reviewed(review.accept_late(submission_id, chair=chair, when=when, reason=reason, panel_date=day), as_json)


@_review_command("signoff")
@click.option("--manager", help="The manager who signed off outside the form.")
@click.option("--reason", default="", help="How they signed off, for the audit log (required).")
def review_signoff(state: State, submission_id: str, manager: str | None, reason: str, by: str | None,
                   as_json: bool) -> None:
    """Record the manager's sign-off by hand (agreed by phone, an email on file).

    Example: carepanel review signoff SUB --manager "Terry Manager" --reason "approved by phone 23/11"
    """
    with _reviewing(state, by) as review:
        _reviewed(review.record_signoff(submission_id, manager=manager, reason=reason), as_json)


@_review_command("correct")
@click.option("--field", default="", help="The field, e.g. children.child_id (required).")
@click.option("--value", required=True, help="The corrected value.")
@click.option("--reason", default="", help="Why, for the audit log (required).")
def review_correct(state: State, submission_id: str, field: str, value: str, reason: str, by: str | None,
                   as_json: bool) -> None:
    """Record a corrected value beside the one read; the original stays as it was.

    Example: carepanel review correct SUB --field children.child_id --value LCS123456 --reason "ID from the case record"
    """
    with _reviewing(state, by) as review:
        _reviewed(review.correct(submission_id, field=field, value=value, reason=reason), as_json)


@_review_command("move")
@click.option("--to", "to_date", required=True, help="The other panel's date, YYYY-MM-DD.")
@click.option("--reason", default="", help="Why, for the audit log (required).")
def review_move(state: State, submission_id: str, to_date: str, reason: str, by: str | None, as_json: bool) -> None:
    """Move to another sitting of the panel.

    Example: carepanel review move SUB --to 2026-12-09 --reason "worker on leave"
    """
    day = _date(to_date, "--to")
    with _reviewing(state, by) as review:
        _reviewed(review.move(submission_id, to=day, reason=reason), as_json)


@_review_command("reject")
@click.option("--reason", default="", help="Why: emailed to the sender and kept in the audit log (required).")
def review_reject(state: State, submission_id: str, reason: str, by: str | None, as_json: bool) -> None:
    """Turn the submission away; the sender is emailed the reason.

    Example: carepanel review reject SUB --reason "this request goes to the SEND panel"
    """
    with _reviewing(state, by) as review:
        _reviewed(review.reject(submission_id, reason=reason), as_json)


@_review_command("ask")
@click.option("--message-file", type=click.Path(dir_okay=False), help="The email to send (default: one line per flag).")
def review_ask(state: State, submission_id: str, message_file: str | None, by: str | None, as_json: bool) -> None:
    """Email the sender for what is missing.

    Example: carepanel review ask SUB --message-file ask.txt
    """
    body = _read_text(message_file, "--message-file") if message_file else None
    with _reviewing(state, by) as review:
        _reviewed(review.ask(submission_id, body=body), as_json)


def _read_text(path: str, option: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{option}: {path} cannot be read as UTF-8 text ({type(exc).__name__})") from None


# --------------------------------------------------------------------------- decisions


def _action(text: str, n: int) -> Any:
    from .pipeline.decisions import Action

    parts = [p.strip() for p in text.split("|")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise CarepanelError(f"--action {text!r}: write it as 'what|who' or 'what|who|YYYY-MM-DD'", code="panel_error")
    return Action(n, parts[0], parts[1], _date(parts[2], "--action") if len(parts) > 2 and parts[2] else None)


def _decision_options(f: Any) -> Any:
    for opt in reversed([
        click.option("--outcome", "outcomes", required=True, multiple=True,
                     help="One of the profile's outcomes, e.g. approve, decline, defer; repeat for two where the "
                          "profile records them together (approve and return_to_panel)."),
        click.option("--rationale", required=True, help="Why: the reasons the chair will sign."),
        click.option("--review-date", help="YYYY-MM-DD: bring the child back to the first panel on or after it."),
        click.option("--decision", "decisions_", multiple=True, help="A numbered decision (repeat for each)."),
        click.option("--action", "actions", multiple=True, help="'what|who|YYYY-MM-DD' (repeat for each)."),
        click.option("--resource", help="The approved resource."),
        click.option("--weekly-cost", type=float),
        click.option("--total-cost", type=float),
        click.option("--weeks", type=int, help="How many weeks the resource is approved for."),
        click.option("--defer-to", help="YYYY-MM-DD: the panel a deferral goes to (required with defer)."),
        click.option("--return-date", help="YYYY-MM-DD, for return to panel."),
        click.option("--return-frequency", help="e.g. 'every 3 months', for return to panel."),
        click.option("--member", "members", multiple=True, help="A member present (repeat)."),
        click.option("--conflict", "conflicts", multiple=True, help="A declared conflict of interest (repeat)."),
        click.option("--dissent", multiple=True, help="A member's formal dissent (repeat)."),
        click.option("--unmet-need", help="What was needed and not available (for the sufficiency report)."),
        click.option("--by", help="Who records it (for the audit log)."),
        click.option("--json", "as_json", is_flag=True),
    ]):
        f = opt(f)
    return f


def _record_from(opts: dict[str, Any], emergency: bool = False, decided_by: str | None = None) -> Any:
    from .pipeline.decisions import DecisionRecord

    def day(key: str, flag: str) -> date | None:
        return _date(opts[key], flag) if opts.get(key) else None

    outcomes = tuple(opts["outcomes"])
    return DecisionRecord(
        outcome=outcomes[0], more_outcomes=outcomes[1:], rationale=opts["rationale"], decisions=tuple(opts["decisions_"]),
        actions=tuple(_action(a, n) for n, a in enumerate(opts["actions"], start=1)), resource=opts["resource"],
        weekly_cost=opts["weekly_cost"], total_cost=opts["total_cost"], period_weeks=opts["weeks"],
        review_date=day("review_date", "--review-date"), defer_to=day("defer_to", "--defer-to"),
        return_date=day("return_date", "--return-date"), return_frequency=opts["return_frequency"],
        members=tuple(opts["members"]), conflicts=tuple(opts["conflicts"]), dissent=tuple(opts["dissent"]),
        unmet_need=opts["unmet_need"], emergency=emergency, decided_by=decided_by)


@main.command()
@click.argument("submission_id")
@_decision_options
@click.pass_obj
def decide(state: State, submission_id: str, **opts: Any) -> None:
    """Record the panel's decision on a listed submission (a draft for the chair).

    Example: carepanel decide sub-1b5f… --outcome approve --rationale "No safe adult at home" --review-date 2027-02-03 --json
    """
    from .jobs import decisions
    from .store import Store

    cfg = state.config()
    with Store(cfg.db_path) as store:
        result = decisions.record(cfg, store, submission_id, _record_from(opts), actor=_actor(opts["by"]), now=state.clock())
    _emit(result, opts["as_json"], f"{result['decision_id']}: draft written to {result['pdf']}")


@main.command("emergency-decision")
@click.option("--child-id", required=True)
@click.option("--child-name", required=True)
@click.option("--decided-by", "decided_by", required=True, multiple=True,
              help="Who made the decision outside panel, as the staff directory names them (repeat for each).")
@click.option("--decided-on", help="YYYY-MM-DD: the day it was made (default today).")
@click.option("--high-cost", is_flag=True, help="It is a high-cost placement (some panels need a more senior person).")
@click.option("--request", "request_text", help="What was agreed.")
@_decision_options
@click.pass_obj
def emergency_decision(state: State, child_id: str, child_name: str, decided_by: tuple[str, ...], decided_on: str | None,
                       high_cost: bool, request_text: str | None, **opts: Any) -> None:
    """Record an emergency decision made outside panel; it is listed for ratification at the next panel.

    Everyone named must hold a role the profile lets decide outside panel, and the day must be
    inside its retrospective window; else exit 1, code not_authorised, nothing recorded.
    """
    from dataclasses import replace

    from .jobs import decisions
    from .directory import directory_for
    from .store import Store

    cfg = state.config()
    record = replace(_record_from(opts, emergency=True), high_cost=high_cost,
                     decided_on=_date(decided_on, "--decided-on") if decided_on else None)
    with Store(cfg.db_path) as store:
        result = decisions.record_emergency(cfg, store, directory_for(cfg), record, decided_by=list(decided_by),
                                            child={"name": child_name, "child_id": child_id, "request": request_text},
                                            actor=_actor(opts["by"]), now=state.clock())
    _emit(result, opts["as_json"], f"{result['decision_id']}: draft written to {result['pdf']}; listed for ratification")


@main.command()
@click.argument("decision_id")
@click.option("--chair", required=True, help="The chair's or vice chair's name, as the staff directory has it.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def sign(state: State, decision_id: str, chair: str, as_json: bool) -> None:
    """The chair's sign-off: the final sheet, its hash in the audit log, the upload folder.

    Example: carepanel sign dec-1b5f…-v1 --chair "Dana Chair" --json
    """
    from .jobs import decisions
    from .directory import directory_for
    from .store import Store

    cfg = state.config()
    with Store(cfg.db_path) as store:
        result = decisions.sign(cfg, store, directory_for(cfg), decision_id, chair=chair, now=state.clock())
    _emit(result, as_json, f"{decision_id} signed; upload folder {result['upload_dir']}")


@main.group("decisions")
def decisions_group() -> None:
    """List decisions, what is overdue, and record uploads."""


@decisions_group.command("list")
@click.option("--panel-date", help="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def decisions_list(state: State, panel_date: str | None, as_json: bool) -> None:
    with state.store() as store:
        rows = store.decisions(panel_date=_date(panel_date, "--panel-date") if panel_date else None)
    keep = ("id", "version", "kind", "submission_id", "panel_date", "child_id", "outcome", "status", "signed_by",
            "signed_at", "pdf_sha256", "upload_dir", "upload_due", "uploaded_at", "superseded_by")
    listed = [{**{k: getattr(r, k) for k in keep}, "outcomes": r.details()["decision"].get("outcomes") or [r.outcome]}
              for r in rows]
    _emit(listed, as_json, "\n".join(f"{r['id']:<32} {r['panel_date']} {r['outcome']:<20} {r['status']:<7}"
                                    f" {'uploaded' if r['uploaded_at'] else ''}" for r in listed) or "no decisions")


@decisions_group.command("overdue")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def decisions_overdue(state: State, as_json: bool) -> None:
    """Uploads due soon or missed, reviews not brought back, decisions not drafted in time."""
    from .jobs import decisions
    from .directory import directory_for
    from .store import Store

    cfg = state.config()
    with Store(cfg.db_path) as store:
        warnings = decisions.check_deadlines(cfg, store, directory_for(cfg), state.clock())
    _emit(warnings, as_json, "\n".join(f"{w['code']:<22} {w['detail']}" for w in warnings) or "nothing overdue")


@decisions_group.command("uploaded")
@click.argument("decision_id")
@click.option("--by", help="Who uploaded it (for the audit log).")
@click.pass_obj
def decisions_uploaded(state: State, decision_id: str, by: str | None) -> None:
    """Record that the signed sheet is on the child's record."""
    with state.store() as store:
        if not store.decision(decision_id):
            raise CarepanelError(f"no decision {decision_id}", code="panel_error")
        store.mark_uploaded(decision_id, actor=_actor(by), at=state.clock())
    click.echo(f"{decision_id}: upload recorded")


@main.command("finance")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="A .csv or .xlsx file.")
@click.pass_obj
def finance(state: State, out: str) -> None:
    """Export the log of approved expenditure for the finance officer."""
    from .jobs import decisions
    with state.store() as store:
        n = decisions.export_finance(store, Path(out))
    click.echo(f"{n} approved items written to {out}")


@main.command("unmet-need")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def unmet_need(state: State, as_json: bool) -> None:
    """What panels needed and could not find, for the sufficiency report."""
    with state.store() as store:
        rows = store.unmet_needs()
    _emit([r.to_json() for r in rows], as_json,
          "\n".join(f"{r.panel_date} {r.child_id or '-':<12} {r.need}" for r in rows) or "none recorded")


@main.command("meeting-record")
@click.option("--panel-date", required=True, help="YYYY-MM-DD")
@click.pass_obj
def meeting_record(state: State, panel_date: str) -> None:
    """The record of the whole meeting (every case, decision and action) for the chair to agree."""
    from .jobs import decisions
    from .store import Store

    cfg = state.config()
    with Store(cfg.db_path) as store:
        docx_path, pdf_path = decisions.meeting_record(cfg, store, _date(panel_date, "--panel-date"))
    click.echo(f"{docx_path}\n{pdf_path}")


# --------------------------------------------------------------------------- backup


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--plain", is_flag=True, help="Write an unencrypted tar (children's records in the clear): only when you must.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def backup_cmd(state: State, file: str, plain: bool, as_json: bool) -> None:
    """One verified archive of the database and the stored originals (safe while the service runs),
    encrypted with age to the public keys in [backup] recipients.

    Example: carepanel backup /backups/carepanel-2026-11-23.tar.age
    """
    from .jobs.backup import backup

    if plain:
        click.echo("warning: --plain: this backup is NOT encrypted; anyone who can read the file can read every "
                   "child's records. Keep it only where the live data may be kept.", err=True)
    result = backup(state.config(), Path(file), plain=plain)
    how = "encrypted, verified" if result["encrypted"] else "NOT encrypted, verified"
    _emit(result, as_json, f"{result['path']}: {result['files']} files, {how}")


@main.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--identity", type=click.Path(dir_okay=False, exists=True),
              help="The age private key the backup was encrypted to (default: [backup] identity_file).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def restore_cmd(state: State, file: str, identity: str | None, as_json: bool) -> None:
    """Rebuild an empty --data-dir from a backup, checking every hash first.

    Example: carepanel --data-dir /srv/carepanel/data restore --identity /secure/backup-key.txt carepanel-2026-11-23.tar.age
    """
    from .jobs.backup import restore

    result = restore(state.config(), Path(file), identity=Path(identity) if identity else None)
    _emit(result, as_json, f"restored {result['files']} files into {result['data_dir']}")


# --------------------------------------------------------------------------- web accounts


@main.group("user")
def user_group() -> None:
    """Local web accounts (the embedded default; councils usually sign in with Entra ID)."""


@user_group.command("add")
@click.argument("email")
@click.option("--name", help="Defaults to the name in the staff directory.")
@click.option("--role", type=click.Choice(["administrator", "chair", "panel_member", "read_only"]),
              help="Only read_only has an effect (read access for someone the directory gives no web role); "
                   "every other role comes from the staff directory at each request.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 12 characters.")
@click.pass_obj
def user_add(state: State, email: str, name: str | None, role: str | None, password: str) -> None:
    """Create a local account, or set its password (which signs the person out everywhere).

    The person must be in the staff directory: the role is the directory's, read at every
    request, so taking someone out of the CSV ends their access.

    Example: carepanel user add dana.chair@example.gov.uk
    """

    from .directory import directory_for
    from .store import Store
    from .web.auth import WEB_ROLES, hash_password
    from .web.sessions import end_sessions_of

    cfg = state.config()
    member = directory_for(cfg).by_email(email)
    if member is None:
        raise CarepanelError(f"{email}: not in the staff directory; add the person there first", code="config_error")
    role = role or (member.role if member.role in WEB_ROLES else "read_only")
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise CarepanelError(str(exc), code="config_error") from exc
    with Store(cfg.db_path) as store:
        store.upsert_user(email, name or member.name, role, hashed, actor=_actor(None))
        ended = end_sessions_of(store, email, state.clock().timestamp(), "password_changed")
    click.echo(f"{email}: account saved" + (f"; {ended} session(s) ended" if ended else ""))


@user_group.command("signout")
@click.argument("email")
@click.pass_obj
def user_signout(state: State, email: str) -> None:
    """Sign a person out everywhere (every open web session ends now).

    Example: carepanel user signout dana.chair@example.gov.uk
    """

    from .web.sessions import end_sessions_of

    with state.store() as store:
        ended = end_sessions_of(store, email, state.clock().timestamp(), "ended_by_administrator")
        store.audit(_actor(None), "sessions_ended", "user", email.lower(), "signed out everywhere", {"sessions": ended})
    click.echo(f"{email}: {ended} session(s) ended")


@user_group.command("throttles")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_throttles(state: State, as_json: bool) -> None:
    """Accounts and addresses whose sign-ins are slowed down after failures."""

    from .web.sessions import throttles

    with state.store() as store:
        rows = throttles(store, state.clock().timestamp())
    _emit(rows, as_json, "\n".join(f"{r['key']}  {r['failures']} failures  wait {r['wait_seconds']} s" for r in rows) or "none")


@user_group.command("unthrottle")
@click.argument("key")
@click.pass_obj
def user_unthrottle(state: State, key: str) -> None:
    """Let an account or address sign in again now (KEY as `user throttles` shows it).

    Example: carepanel user unthrottle account:dana.chair@example.gov.uk
    """
    from .web.sessions import clear_throttle

    with state.store() as store:
        cleared = clear_throttle(store, key)
        if cleared:
            store.audit(_actor(None), "throttle_cleared", "sign_in", key, None)
    click.echo(f"{key}: {'cleared' if cleared else 'no such throttle'}")


# --------------------------------------------------------------------------- mailbox and status


@main.group("mailbox")
def mailbox_group() -> None:
    """The panel mailbox connection."""


@mailbox_group.command("check")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def mailbox_check(state: State, as_json: bool) -> None:
    """Connect, sign in, open the folder and the processed/failed folders, and say what is wrong."""
    from .mailbox.registry import backend

    cfg = state.config()
    detail = backend(cfg.mailbox.backend).check(cfg)  # MailboxUnavailable says why, in words
    result: dict[str, object] = {"backend": cfg.mailbox.backend, "ok": True, "detail": detail}
    _emit(result, as_json, str(result["detail"]))


@main.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(state: State, as_json: bool) -> None:
    """Mailbox connection, queue depth, last message, next papers-out, overdue items."""
    from .pipeline import calendar
    from .store import Store

    cfg = state.config()
    with Store(cfg.db_path) as store:
        # ``connected`` stays 0/1 in the JSON, as it was printed before the store typed it
        mailbox = [{"key": m.key, "connected": int(m.connected), "last_ok_at": m.last_ok_at, "last_error": m.last_error,
                    "last_error_at": m.last_error_at} for m in store.mailbox_states()]
        figures = store.ops_figures()
        last = figures.last_message_seen_at
        pending_out = sum(n for s, n in figures.outgoing.items() if s != "sent")
        failed = len(store.failed_messages())
        now = state.clock()
        overdue = sum(1 for d in store.decisions(status="signed")
                      if not d.uploaded_at and not d.superseded_by and d.upload_due
                      and datetime.fromisoformat(d.upload_due) < now)
        nxt = calendar.next_open_panel(cfg.profile, now)
        result = {"profile": cfg.profile.name, "backend": cfg.mailbox.backend, "mailbox": mailbox,
                  "last_message_at": last, "failed_messages": failed, "outgoing_queue": pending_out,
                  "submissions": store.counts(), "overdue_uploads": overdue, "next_panel": nxt.date.isoformat(),
                  "next_papers_out": nxt.papers_out.isoformat()}
    human = (f"{cfg.profile.title} ({cfg.mailbox.backend}); last message {last or 'none'}; "
             f"{failed} failed, {pending_out} mails waiting to go; {overdue} overdue uploads; "
             f"next panel {result['next_panel']}, papers out {result['next_papers_out']}")
    for m in mailbox:
        human += f"\n  {m['key']}: {'connected' if m['connected'] else 'NOT connected: ' + str(m['last_error'])}"
    if cfg.directory_exchange_groups:
        human += "\n  " + _address_book_status(cfg, result)
    _emit(result, as_json, human)


def _address_book_status(cfg: Config, result: dict[str, Any]) -> str:
    """How old the Exchange address-book copy the staff directory uses is, and why, if stale."""
    from .directory import exchange_copy

    book = exchange_copy(cfg.data_dir)
    rows = book.get("rows")
    people = len(rows) if isinstance(rows, list) else 0
    result["address_book"] = {"people": people, "read_at": book.get("fetched_at"),
                              "last_error": book.get("last_error"), "last_attempt_at": book.get("last_attempt_at")}
    if not book.get("fetched_at"):
        return f"address book: never read from Exchange ({book.get('last_error') or 'not tried yet'}); the CSV alone is used"
    if book.get("last_error"):
        return (f"address book: NOT read at {book.get('last_attempt_at')} ({book['last_error']}); "
                f"using the last good copy, read {book['fetched_at']} ({people} people)")
    return f"address book: {people} people from Exchange, read {book['fetched_at']}"
# --------------------------------------------------------------------------- ops: governance, access log, status


@main.command()
@click.option("--purge", is_flag=True, help="Delete what is due (never anything on hold).")
@click.option("--as-of", "as_of", help="Judge as on this date (YYYY-MM-DD); default today.")
@click.option("--actor", default="administrator", show_default=True, help="Who is purging, for the audit log.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def retention(state: State, purge: bool, as_of: str | None, actor: str, as_json: bool) -> None:
    """Show the records past their retention period; with --purge, delete them (audited).

    Example: carepanel retention --json ; carepanel retention --purge --actor "J Smith (IG lead)"
    """
    from .jobs import governance
    from .mailbox.archive import Archive
    from .store import Store

    cfg = state.config()
    today = _date(as_of, "--as-of") if as_of else date.today()
    with Store(cfg.db_path) as store:
        due = governance.due_for_purge(store, cfg.retention, today)
        purged = governance.purge(store, Archive(cfg.archive_dir), cfg.retention, today, actor) if purge else []
    data = {"as_of": today.isoformat(), "policy": {"years_after_birth": cfg.retention.years_after_birth,
                                                   "years_after_receipt": cfg.retention.years_after_receipt},
            "due": [d.to_json() for d in due], "purged": [d.submission_id for d in purged]}
    lines = [f"{d.submission_id}  retain until {d.retain_until}  {'ON HOLD' if d.held else ''}" for d in due]
    lines.append(f"{len(due)} due, {sum(d.held for d in due)} on hold" + (f", {len(purged)} purged" if purge else
                                                                         " (nothing deleted; use --purge)"))
    _emit(data, as_json, "\n".join(lines))


@main.group("hold")
def hold_group() -> None:
    """Legal holds: a child's records that no purge may touch."""


@hold_group.command("add")
@click.argument("child")
@click.option("--reason", required=True, help="Why (e.g. the inquiry's reference).")
@click.option("--actor", default="administrator", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def hold_add(state: State, child: str, reason: str, actor: str, as_json: bool) -> None:
    """Put a child's records on hold, by child ID (LCS123456) or child key.

    Example: carepanel hold add LCS123456 --reason "IICSA request 2026/14"
    """
    from .jobs.governance import normalise_key
    key = normalise_key(child)
    with state.store() as store:
        store.add_hold(key, reason, actor)
    _emit({"key": key, "held": True}, as_json, f"on hold: {key}")


@hold_group.command("remove")
@click.argument("child")
@click.option("--reason", required=True)
@click.option("--actor", default="administrator", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def hold_remove(state: State, child: str, reason: str, actor: str, as_json: bool) -> None:
    """Lift a hold. Example: carepanel hold remove LCS123456 --reason "inquiry closed" """
    from .jobs.governance import normalise_key
    key = normalise_key(child)
    with state.store() as store:
        removed = store.remove_hold(key, reason, actor)
    _emit({"key": key, "held": False, "removed": removed}, as_json,
          f"hold lifted: {key}" if removed else f"there was no hold on {key}")


@hold_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def hold_list(state: State, as_json: bool) -> None:
    """List the holds. Example: carepanel hold list --json"""
    with state.store() as store:
        rows = store.holds()
    _emit([asdict(h) for h in rows], as_json, "\n".join(f"{h.key}  since {h.placed_at} by {h.placed_by}: {h.reason}"
                                    for h in rows) or "no holds")


@main.command("export-child")
@click.argument("child")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The zip to write.")
@click.option("--actor", default="administrator", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def export_child_cmd(state: State, child: str, out: str, actor: str, as_json: bool) -> None:
    """Everything held about one child, as a zip, for a subject access request.

    Example: carepanel export-child LCS123456 --out sar-LCS123456.zip
    """
    from .jobs.governance import export_child
    from .mailbox.archive import Archive
    from .store import Store

    cfg = state.config()
    with Store(cfg.db_path) as store:
        result = export_child(store, Archive(cfg.archive_dir), child, Path(out), actor)
    _emit(result, as_json, f"{len(result['submissions'])} submission(s) exported to {result['path']}")


@main.command("access-log")
@click.option("--child", help="Only this child's records (child ID or key).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def access_log_cmd(state: State, child: str | None, as_json: bool) -> None:
    """Who viewed or exported which records, oldest first.

    Example: carepanel access-log --child LCS123456 --json
    """
    from .jobs.governance import key_parts, normalise_key
    with state.store() as store:
        ids = None
        if child:
            key = normalise_key(child)
            ids = [key] + [r.id for r in store.submission_rows() if key in key_parts(r.child_key)]
        rows = store.access_log(ids)
    _emit([r.to_json() for r in rows], as_json, "\n".join(f"{r.at}  {r.actor:<30} {r.action:<15} {r.entity} {r.entity_id}"
                                                         f"  {r.reason or ''}" for r in rows) or "no views recorded")


@main.command("health")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def health_cmd(state: State, as_json: bool) -> None:
    """Healthy or not, and why: mailbox, last sweep, queue depth, next papers-out, overdue. Exit 2 when unhealthy.

    The same figures as the web app's /healthz (carepanel/jobs/health.py), for a monitoring agent.
    Example: carepanel health --json
    """
    from .jobs.health import status as get_status
    from .jobs.health import status_text

    data = get_status(state.config())
    _emit(data, as_json, status_text(data))
    if not data["healthy"]:
        sys.exit(2)


@main.command("verify")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def verify_cmd(state: State, as_json: bool) -> None:
    """Do the database, the archive and the mail folders agree, and is the database sound? Exit 1 if not.

    Every original archived with its hash and on the ledger, every processed message exactly one
    submission, every file in processed/ a processed message, SQLite's own integrity check, and no
    database file deleted or replaced under a running service.  Safe while the service runs.
    Example: carepanel verify --json
    """
    from .jobs.verify import verify

    report = verify(state.config())
    human = "verify: ok" if report.ok else "verify: PROBLEMS\n" + "\n".join(f"- {p}" for p in report.problems)
    _emit(report.to_json(), as_json, human)
    if not report.ok:
        sys.exit(1)


def entry() -> None:  # pragma: no cover - console script shim
    main(prog_name="carepanel")


if __name__ == "__main__":  # pragma: no cover
    main(prog_name="carepanel")
