"""Telling the sender what happens next: the acknowledgement of each submission.

Rendered from Jinja2 templates a council can edit (``[notices] templates_dir`` in the
config overrides the built-in ones by file name).  The mail itself is only queued here, in
the same transaction as the submission; the service sends it afterwards.  Children are
named by initials and ID, never in full, since email travels further than the case record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Protocol

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, select_autoescape

from ..clock import LONDON
from ..config import Config
from ..directory import Directory
from ..pipeline import calendar
from ..pipeline.identity import reference
from ..models import Flag, Message, Request, Signatory, Submission, Worker

ACTIONS = {
    "late": "If the case cannot wait, ask your Team Manager to contact the panel chair, who may agree to hear it late.",
    "missing_fields": "Complete the answers named above and send the whole form again.",
    "no_manager_signoff": "Ask your manager to sign the form, or to send it (or their agreement) from their own email address.",
    "no_request_form": "Attach the completed panel request form (Word or PDF) and send it again.",
    "unreadable_attachment": "Send the file again without a password, or as a Word document or a PDF made from it.",
    "unsafe_attachment": "The file was not opened, for safety. Save the form as an ordinary Word document (.docx) or PDF and send it again.",
    "missing_documents": "Attach the documents named above and send them with the form.",
    "out_of_scope": "This request should go to another panel or decision-maker; ask your Team Manager which.",
    "below_threshold": "Your manager can agree this expenditure; it does not need to come to panel.",
}


@dataclass(frozen=True)
class Notice:
    id: str
    kind: str
    submission_id: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: str
    in_reply_to: str | None

    def as_row(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "submission_id": self.submission_id,
                "recipients": {"to": list(self.to), "cc": list(self.cc)}, "subject": self.subject,
                "body": self.body, "in_reply_to": self.in_reply_to}


def environment(templates_dir: Path | None) -> Environment:
    loaders: list[BaseLoader] = [PackageLoader("carepanel.outputs", "templates")]
    if templates_dir is not None:
        loaders.insert(0, FileSystemLoader(str(templates_dir)))
    return Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, keep_trailing_newline=True)


def child_reference(request: Request | None) -> str | None:
    """Initials and ID ("A.H. (LCS123456)"): enough for the worker, little for anyone else."""
    if request is None or not request.children:
        return None
    return reference([c.to_json() for c in request.children])


MAX_QUOTED_SUBJECT = 200  # characters of the sender's subject an answer repeats


def internal_domains(cfg: Config, directory: Directory) -> frozenset[str]:
    """The council's own mail domains: ``[mailbox] internal_domains``, or where that is not set,
    the domains of the staff directory's addresses and of the panel mailbox."""
    if cfg.mailbox.internal_domains:
        return frozenset(cfg.mailbox.internal_domains)
    addresses = [m.email for m in directory.members] + [parseaddr(cfg.outbox.from_address)[1]]
    return frozenset(a.rsplit("@", 1)[1].lower() for a in addresses if "@" in a)


def is_internal(address: str, domains: frozenset[str]) -> bool:
    """Whether ``address`` is in one of ``domains`` or a subdomain of one."""
    domain = address.rsplit("@", 1)[-1].lower().rstrip(".") if "@" in address else ""
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in domains)


def acknowledgement(sub: Submission, message: Message, cfg: Config, directory: Directory,
                    env: Environment | None = None) -> Notice | None:
    """The answer to the sender, or None when nobody should be answered: a message from a
    machine (an out-of-office reply to our own acknowledgement would otherwise start a loop),
    with no usable sender address, from the panel mailbox itself, or from outside the council's
    own domains (a forged sender would otherwise have us mail whoever it names: backscatter;
    ``outside_sender_notice`` tells the administrators instead)."""
    if message.automatic or "@" not in message.sender or message.sender == parseaddr(cfg.outbox.from_address)[1].lower():
        return None
    if not is_internal(message.sender, internal_domains(cfg, directory)):
        return None
    env = env or environment(cfg.notices.templates_dir)
    profile = cfg.profile
    sender = directory.by_email(message.sender)
    greeting = sender.name.split()[0] if sender else (message.sender_name or "colleague").split()[0]
    values: dict[str, Any] = {
        "greeting": greeting,
        "panel_title": profile.title,
        "child_ref": child_reference(sub.request),
        "submission_id": sub.id,
        "received": _when(sub.received_at),
        "panel_day": sub.panel_date.strftime("%A %-d %B %Y") if sub.panel_date else None,
        "cutoff": _when(sub.cutoff) if sub.cutoff else None,
        "papers_out": _when(calendar.papers_out_for(profile, sub.panel_date)) if sub.panel_date else None,
        "problems": [{"code": f.code, "detail": f.detail, "action": ACTIONS.get(f.code, "")} for f in sub.flags],
    }
    kind = "ack_accepted" if sub.status == "accepted" else "ack_flagged"
    body = env.get_template(f"{kind}.txt.j2").render(**values)
    cc = _team_manager_copy(sub, message, cfg, directory)
    to = (message.sender,) + _named_worker(sub, message, directory)
    cc = tuple(a for a in cc if a not in to)
    subject = _one_line(message.subject)[:MAX_QUOTED_SUBJECT].strip() or "your panel request"
    subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    nid = "ack-" + hashlib.sha256(sub.id.encode()).hexdigest()[:16]
    return Notice(nid, kind, sub.id, to, cc, subject, body, message.message_id)


def _named_worker(sub: Submission, message: Message, directory: Directory) -> tuple[str, ...]:
    """The social worker named on the form, when someone else sent it (Swindon's usual route is
    the Service Manager): "the acknowledgement goes to both" (contract v2, Decisions)."""
    if sub.request is None:
        return ()
    worker = _named(directory, sub.request.social_worker.name, ("social_worker", "personal_advisor"))
    if worker is None or worker.email == message.sender:
        return ()
    return (worker.email,)


def outside_sender_notice(sub: Submission, message: Message, cfg: Config, directory: Directory) -> Notice | None:
    """For the administrators: a message from outside the council's domains, kept and judged
    but not answered.  None for the messages nobody is told of (machines, our own mailbox,
    insiders), or when the directory names no administrator."""
    if message.automatic or "@" not in message.sender or is_internal(message.sender, internal_domains(cfg, directory)):
        return None
    admins = tuple(m.email for m in directory.with_role("administrator"))
    if not admins:
        return None
    body = (f"{cfg.profile.title}: a message from outside the council was not answered\n\n"
            f"Sender: {message.sender[:254]}\nReference: {sub.id}\n\n"
            "carepanel answers only addresses in the council's own domains ([mailbox] internal_domains), so a forged "
            "sender cannot make it mail a stranger. If this request is genuine, reply to the sender yourself.\n")
    nid = "outside-" + hashlib.sha256(sub.id.encode()).hexdigest()[:16]
    return Notice(nid, "warning", sub.id, admins, (), f"{cfg.profile.title}: a request from outside the council", body, None)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _team_manager_copy(sub: Submission, message: Message, cfg: Config, directory: Directory) -> tuple[str, ...]:
    if not cfg.notices.copy_team_manager or sub.request is None:
        return ()
    tm = directory.by_name(sub.request.team_manager.name, frozenset({"team_manager"}))
    if tm is None or tm.email == message.sender:
        return ()
    return (tm.email,)


def _when(t: datetime) -> str:
    return t.astimezone(LONDON).strftime("%A %-d %B %Y, %H:%M")


class Answered(Protocol):
    """What an administrator's reply needs of the submission it answers (the store's
    ``StoredSubmission``; outputs are given values, they do not read the store)."""

    @property
    def id(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def message_id(self) -> str: ...
    @property
    def flags(self) -> tuple[Flag, ...]: ...


def rejection(cfg: Config, sub: Answered, reason: str, env: Environment | None = None) -> Notice:
    """The sender told why an administrator turned the request away (``reject.txt.j2``)."""
    env = env or environment(cfg.notices.templates_dir)
    body = env.get_template("reject.txt.j2").render(panel_title=cfg.profile.title, submission_id=sub.id, reason=reason)
    return administrator_reply(sub, f"reject-{sub.id}", body)


def request_for_more(cfg: Config, sub: Answered, env: Environment | None = None) -> str:
    """The email asking the sender for what is missing, one line per flag (``ask.txt.j2``);
    the administrator may edit it before it goes."""
    env = env or environment(cfg.notices.templates_dir)
    return env.get_template("ask.txt.j2").render(panel_title=cfg.profile.title, submission_id=sub.id,
                                                 problems=[f.detail for f in sub.flags])


def administrator_reply(sub: Answered, notice_id: str, body: str) -> Notice:
    """An administrator's answer to the sender, threaded under the message they sent (its subject
    quoted to ``MAX_QUOTED_SUBJECT`` characters, as the acknowledgement does)."""
    subject = _one_line(sub.subject or "")[:MAX_QUOTED_SUBJECT].strip() or "your panel request"
    return Notice(notice_id, "admin", sub.id, (sub.sender,), (), f"Re: {subject}", body, sub.message_id)


# --------------------------------------------------------------------------- decision notices

# The people a decision notice names from the request form itself; any other role in the
# profile's ``notify`` is everyone in the directory holding it (the finance officer).
_FORM_PEOPLE = {"social_worker": ("social_worker", ("social_worker", "personal_advisor")),
                "team_manager": ("team_manager", ("team_manager", "assistant_team_manager")),
                "service_manager": ("service_manager", ("service_manager", "head_of_service"))}


def _form_person(request: Request | None, part: str) -> str | None:
    """The name the form gives for ``part`` (social_worker, team_manager, service_manager)."""
    person: Worker | Signatory | None = getattr(request, part) if request is not None else None
    return person.name if person is not None else None


def _holds(member: Any, roles: tuple[str, ...]) -> bool:
    held = getattr(member, "roles", None) or tuple(r.strip() for r in member.role.split(";"))
    return any(r in held for r in roles)


def _named(directory: Directory, name: str | None, roles: tuple[str, ...]) -> Any:
    """The one directory member with this name, if they hold one of these roles, else None."""
    member = directory.by_name(name)
    return member if member is not None and _holds(member, roles) else None


def decision_recipients(cfg: Config, directory: Directory, request: Request | None, sender: str | None
                        ) -> tuple[list[str], list[str]]:
    """(to, cc) of a decision notice: the social worker named on the form (found in the
    directory; the sender only when the sender is that social worker), the team manager named
    on the form, and everyone holding a role the profile adds (``[decisions] notify``)."""
    to: list[str] = []
    cc: list[str] = []
    for role in cfg.profile.decisions.notify:
        if role in _FORM_PEOPLE:
            part, roles = _FORM_PEOPLE[role]
            name = _form_person(request, part)
            member = _named(directory, name, roles)
            address = member.email if member else None
            if address is None and role == "social_worker":
                sent_by = directory.by_email(sender)
                if sent_by is not None and name and directory.by_name(name) is sent_by:
                    address = sent_by.email
            if address:
                (to if role == "social_worker" else cc).append(address)
        else:
            cc.extend(m.email for m in directory.members if _holds(m, (role,)))
    if not to and cc:
        to, cc = cc[:1], cc[1:]
    to = list(dict.fromkeys(to))
    cc = [a for a in dict.fromkeys(cc) if a not in to]
    return to, cc


def decision_notice(cfg: Config, *, decision_id: str, submission_id: str, in_reply_to: str | None,
                    to: list[str], cc: list[str], child_ref: str, panel_day: str, outcome: str, rationale: str,
                    actions: list[dict[str, Any]], review: Any) -> dict[str, Any]:
    body = environment(cfg.notices.templates_dir).get_template("decision.txt.j2").render(
        panel_title=cfg.profile.title, panel_day=panel_day, child_ref=child_ref, outcome=outcome, rationale=rationale,
        actions=actions, review=review, reference=decision_id, case_system=cfg.profile.decisions.case_system)
    return {"id": f"notice-{decision_id}", "kind": "decision", "submission_id": submission_id,
            "recipients": {"to": to, "cc": cc}, "subject": f"{cfg.profile.title} decision: {child_ref}",
            "body": body, "in_reply_to": in_reply_to}
