"""``carepanel demo``: a newcomer's first five minutes.

Builds a self-contained folder (config, fictional staff directory, mailbox), drops in the mail a
panel mailbox really gets in a week -- a good request, a late one, one without the manager's
sign-off, an incomplete one and its corrected resubmission, an email with no form, and the same
email delivered twice -- then runs the service over it and shows what it decided and what it
would have sent.  Every person and child in it is invented (see ``demo/samples.py``).

Dates are worked out from today, so the demo shows the same story whenever it is run.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from io import BytesIO
from pathlib import Path

from docx import Document

from ..jobs import decisions, packs
from ..clock import LONDON, Clock, system_clock
from ..config import load_config
from ..profiles import Profile, load_profile
from ..errors import CarepanelError, ConfigError
from ..mailbox.durable import make_dirs, write_atomic
from ..mailbox.folder import FolderInbox
from ..office import Converter, OfficeUnavailable
from ..outputs.seal import make_self_signed
from ..pipeline.decisions import Action, DecisionRecord
from ..pipeline import calendar
from .samples import CASES, SampleCase, SampleSignatory, north_somerset_form
from ..service import Service, open_service, run_forever
from ..store import Store, StoredSubmission
from ..web.auth import hash_password

MARKER = ".carepanel-demo"
PANEL = "panel@example.gov.uk"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

STAFF = """name,email,role,team
Sam Worker,sam.worker@example.gov.uk,social_worker,Children in Need Team 2
Terry Manager,terry.manager@example.gov.uk,team_manager,Children in Need Team 2
Alex Caseworker,alex.caseworker@example.gov.uk,social_worker,Safeguarding Team 1
Morgan Lead,morgan.lead@example.gov.uk,team_manager,Safeguarding Team 1
Jamie Fieldworker,jamie.fieldworker@example.gov.uk,social_worker,Early Help
Riley Guide,riley.guide@example.gov.uk,team_manager,Early Help
Jordan Senior,jordan.senior@example.gov.uk,service_manager,Children's Social Care
Dana Chair,dana.chair@example.gov.uk,chair,Assistant Director
Chris Member,chris.member@example.gov.uk,panel_member,Finance
Pat Admin,pat.admin@example.gov.uk,administrator,Business Support
"""

CONFIG = """# The demo's own configuration: the embedded default (a mailbox folder and SQLite).
profile = "{profile}"
data_dir = "data"

[directory]
csv = "staff.csv"

[mailbox]
backend = "folder"
path = "data/inbox"
poll_seconds = 2

[outbox]
backend = "folder"
path = "data/outbox"
from_address = "{panel}"
"""
# Only the demo's own folder has the seal: prepare() makes the certificate this names.
DEMO_SEAL = """
[decisions]
# Signed decisions are sealed (PAdES) with this self-signed demo certificate, made by the demo.
# A council names its own PKCS#12 here and the environment variable holding its password:
#   signing_key = "/etc/carepanel/seal.p12"
#   signing_password_env = "CAREPANEL_SEAL_PASSWORD"
signing_key = "data/demo-seal.p12"
"""


BACKUP_KEY = "backup-identity.txt"


def backup_settings(folder: Path) -> str:
    """The ``[backup]`` section of a demo (or test) config: backups encrypted to an age key made
    for this folder.  The demo keeps the private key beside its config so ``restore`` works
    without ``--identity``; a council keeps its key off the machine and the backup store."""
    from ..jobs.backup import new_identity, public_key

    key = folder / BACKUP_KEY
    recipient = public_key(key) if key.exists() else new_identity(key)
    return f'\n[backup]\nrecipients = ["{recipient}"]\nidentity_file = "{BACKUP_KEY}"\n'


@dataclass(frozen=True)
class DemoMail:
    """One email for the demo inbox, and what a newcomer should expect of it."""

    name: str
    expect: str
    raw: bytes


def supporting_document(title: str, child: str) -> bytes:
    """A one-page Word document whose title tells its role (assessment, care plan, genogram)."""
    doc = Document()
    doc.add_heading(title, level=1)
    doc.add_paragraph(f"Prepared for the Care and Resource Panel about {child}. (Fictional demo document.)")
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def compose_email(sender: SampleSignatory, address: str, subject: str, body: str, sent: datetime,
           files: list[tuple[str, bytes]], message_id: str) -> bytes:
    msg = EmailMessage()
    msg["Received"] = f"from mail.example.gov.uk by panel.example.gov.uk; {format_datetime(sent)}"
    msg["From"] = f"{sender.name} <{address}>"
    msg["To"] = PANEL
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = message_id
    msg.set_content(body)
    for filename, data in files:
        msg.add_attachment(data, maintype="application", subtype=DOCX.split("/")[1], filename=filename)
    return bytes(msg)


def _papers(case: SampleCase, *, genogram: bool = True) -> list[tuple[str, bytes]]:
    child = case.children[0].name
    files = [("assessment.docx", supporting_document("Child and Family Assessment", child)),
             ("care-plan.docx", supporting_document("Care Plan", child))]
    if genogram:
        files.append(("genogram.docx", supporting_document("Genogram", child)))
    return files


def demo_mail(profile: Profile, now: datetime) -> list[DemoMail]:
    """The week's mail, dated so that the good requests are in time for the next panel."""
    local = now.astimezone(LONDON)
    upcoming = calendar.next_open_panel(profile, now)
    passed = [d for d in calendar.sittings(profile, local.date() - timedelta(days=35), upcoming.date)
              if calendar.cutoff_for(profile, d) < now]
    missed = passed[-1] if passed else upcoming.date - timedelta(days=7)
    sent = now - timedelta(minutes=30)
    signed = local.date() - timedelta(days=1)

    sw = SampleSignatory("Sam Worker", "Children in Need Team 2", signed="typed", signed_on=signed)
    tm = SampleSignatory("Terry Manager", "Children in Need Team 2", signed="typed", signed_on=signed)
    good = replace(CASES["ns-s20-single"], panel_date=upcoming.date, social_worker=sw, team_manager=tm)
    late = replace(CASES["ns-siblings-plo"], panel_date=missed,
                   social_worker=replace(CASES["ns-siblings-plo"].social_worker, signed_on=signed),
                   team_manager=replace(CASES["ns-siblings-plo"].team_manager, signed_on=signed))
    first = good.children[0]
    unsigned = replace(good, children=(replace(first, name="Leo Example", child_id="LCS900111"),),
                       team_manager=SampleSignatory("Terry Manager", "Children in Need Team 2", signed=None))
    incomplete = replace(good, children=(replace(first, name="Ivy Example", child_id="LCS900121"),),
                         summary=replace(good.summary, what_needs_to_change=None))
    corrected = replace(incomplete, summary=good.summary)

    def form(case: SampleCase) -> list[tuple[str, bytes]]:
        return [("CRP request form.docx", north_somerset_form(case))]

    def mail(key: str, case: SampleCase, who: SampleSignatory, address: str, subject: str, body: str,
             at: datetime, files: list[tuple[str, bytes]], expect: str) -> DemoMail:
        return DemoMail(key, expect, compose_email(who, address, subject, body, at, files, f"<demo-{key}@example.gov.uk>"))

    good_mail = mail("01-accepted", good, sw, "sam.worker@example.gov.uk", "CRP request - P Example (S20)",
                     "Hello panel, please find the request form and papers for Poppy attached.\n\nSam",
                     sent, form(good) + _papers(good), f"accepted for the panel on {upcoming.date:%d %B %Y}")
    return [
        good_mail,
        replace(good_mail, name="02-accepted-again", expect="the same email delivered twice: still one submission"),
        mail("03-late", late, late.social_worker, "alex.caseworker@example.gov.uk",
             f"CRP {missed:%d/%m/%Y} - Sample children (PLO)",
             "Sorry this is late - the team manager was on leave.\n\nAlex", sent + timedelta(minutes=1),
             form(late) + _papers(late), f"late: asked for {missed:%d %B}, held for the next panel"),
        mail("04-unsigned", unsigned, sw, "sam.worker@example.gov.uk", "CRP request - L Example",
             "Request attached; Terry will sign it when he is back.\n\nSam", sent + timedelta(minutes=2),
             form(unsigned) + _papers(unsigned), "no manager sign-off on the form"),
        mail("05-incomplete", incomplete, sw, "sam.worker@example.gov.uk", "CRP request - I Example",
             "Request attached.\n\nSam", sent + timedelta(minutes=3),
             form(incomplete) + _papers(incomplete, genogram=False), "missing a required answer and the genogram"),
        mail("06-corrected", corrected, sw, "sam.worker@example.gov.uk", "CRP request - I Example (corrected)",
             "Corrected form and the genogram attached.\n\nSam", sent + timedelta(minutes=9),
             form(corrected) + _papers(corrected), "the corrected form replaces the incomplete one"),
        mail("07-no-form", good, sw, "sam.worker@example.gov.uk", "Assessment for Poppy",
             "Here is the assessment we discussed.\n\nSam", sent + timedelta(minutes=4),
             [("assessment.docx", supporting_document("Child and Family Assessment", first.name))],
             "no request form in the email"),
    ]


def prepare(folder: Path, profile_name: str | None, clock: Clock = system_clock) -> list[DemoMail]:
    """Make (or remake) the demo folder and fill its inbox; refuses a folder that is not a demo's."""
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise ConfigError(f"{folder} is not empty and is not a carepanel demo folder; choose another --dir")
    if folder.exists():
        shutil.rmtree(folder)
    make_dirs(folder / "data" / "inbox")
    (folder / MARKER).write_text("made by carepanel demo; removed and remade each time it runs\n", encoding="utf-8")
    profile = load_profile(profile_name or "north-somerset")
    (folder / "config.toml").write_text(CONFIG.format(profile=profile.name, panel=PANEL) + DEMO_SEAL
                                        + backup_settings(folder), encoding="utf-8")
    (folder / "staff.csv").write_text(STAFF, encoding="utf-8")
    make_self_signed(folder / "data" / "demo-seal.p12", common_name=f"{profile.council} decisions seal (demo)",
                     organisation=profile.council)
    mails = demo_mail(profile, clock())
    for m in mails:
        write_atomic(folder / "data" / "inbox" / f"{m.name}.eml", m.raw)
    return mails


def run_demo(folder: Path, *, profile: str | None, serve: bool, echo: Callable[[str], None],
             clock: Clock = system_clock) -> None:
    mails = prepare(folder, profile, clock)
    cfg = load_config(folder / "config.toml")
    echo(f"carepanel demo: {len(mails)} emails in {cfg.mailbox.path}, panel rules of {cfg.profile.title}")
    for m in mails:
        echo(f"  {m.name:<20} expect: {m.expect}")
    with open_service(cfg, clock) as service:
        inbox = FolderInbox(cfg.mailbox)
        inbox_path = inbox.path
        # A file is read only once it has stopped changing (settle_seconds), as in the service.
        give_up = time.monotonic() + 30 + inbox.settle_seconds
        while any(inbox_path.glob("*.eml")) and time.monotonic() < give_up:
            if not service.sweep(inbox):
                time.sleep(0.2)
        rows = service.store.submissions()
        echo("")
        echo("What carepanel decided:")
        for row in sorted(rows, key=lambda r: r.received_at):
            flags = ", ".join(row.flag_codes) or "-"
            echo(f"  {row.status:<10} panel {row.panel_date}  flags: {flags:<40} {row.subject}")
        sent = sorted(cfg.outbox.path.glob("*.eml")) if cfg.outbox.path else []
        echo("")
        echo(f"Acknowledgements written to {cfg.outbox.path} ({len(sent)} emails); open any .eml to read one.")
        echo(f"Originals kept byte for byte under {cfg.archive_dir}; the database is {cfg.db_path}.")
        _panel_day(service, rows, echo)
    password = secrets.token_urlsafe(9)
    with Store(cfg.db_path) as store:
        for email, name, role in (("pat.admin@example.gov.uk", "Pat Admin", "administrator"),
                                  ("dana.chair@example.gov.uk", "Dana Chair", "chair"),
                                  ("chris.member@example.gov.uk", "Chris Member", "panel_member")):
            store.upsert_user(email, name, role, hash_password(password + "-demo"), actor="demo")
    echo("")
    echo(f"Web sign-in (demo accounts): pat.admin@example.gov.uk, dana.chair@example.gov.uk or "
         f"chris.member@example.gov.uk, password {password}-demo")
    if serve:
        echo("")
        run_forever(cfg, web=True, host="127.0.0.1", port=8000, echo=echo, clock=clock)


def _panel_day(service: Service, rows: list[StoredSubmission], echo: Callable[[str], None]) -> None:
    """The rest of the week: the pack goes out, the panel decides, the chair signs."""
    accepted = [r for r in rows if r.status == "accepted"]
    day = accepted[0].panel_day if accepted else None
    if day is None:
        return
    cfg = service.cfg
    echo("")
    echo(f"Papers out for the panel on {day:%A %-d %B %Y} (normally sent at the papers-out time):")
    try:
        with Converter(workers=cfg.pack.office_workers) as conv:
            built = packs.build(cfg, service.store, service.processor.archive, day, converter=conv)
            packs.send(cfg, service.store, service.processor.archive, service.processor.directory, day)
            echo(f"  pack: {built.path} ({built.pages} pages); sent to the chair and members, slot times to each worker")
            outcomes = [("approve", "A short foster placement keeps Poppy safe while her mother recovers.", 8),
                        ("defer", "The panel needs the connected-person assessment first.", None)]
            for sub, (outcome, why, weeks) in zip(accepted, outcomes):
                outcome = outcome if outcome in cfg.profile.decisions.outcomes else cfg.profile.decisions.outcomes[0]
                record = DecisionRecord(
                    outcome=outcome, rationale=why, resource="In-house foster placement" if weeks else None,
                    weekly_cost=450.0 if weeks else None, period_weeks=weeks,
                    review_date=day + timedelta(weeks=8) if weeks else None,
                    defer_to=day + timedelta(weeks=2) if outcome == "defer" else None,
                    members=("Dana Chair", "Chris Member"),
                    actions=(Action(1, "Tell the family the decision", "Sam Worker", day + timedelta(days=2)),))
                # The demo's week runs ahead of the clock: the panel is taken to have sat.
                sat = calendar.panel(cfg.profile, day).ends_at
                drafted = decisions.record(cfg, service.store, sub.id, record, actor="demo", converter=conv, now=sat)
                signed = decisions.sign(cfg, service.store, service.processor.directory, drafted["decision_id"],
                                        chair="Dana Chair", converter=conv, now=sat)
                echo(f"  decision {drafted['decision_id']}: {cfg.profile.decisions.labels[outcome]}, signed; "
                     f"upload folder {signed['upload_dir']}")
        service.deliver_due()
    except (CarepanelError, OfficeUnavailable) as exc:
        echo(f"  skipped: {exc}")
