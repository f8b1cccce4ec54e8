"""Manager sign-off: which evidence the profile accepts, looked for in the contract's order.

1. ``form_signature``     the manager's signature place on the form is filled
2. ``sender_is_manager``  the message comes from the manager's own address, not spoofed
3. ``forwarded_approval`` a quoted or attached message from the manager agrees to it
(4. ``admin_override`` is recorded by an administrator later, never inferred here.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..profiles import Profile, SignoffRequirement
from ..directory import Directory, satisfying_roles
from ..parsers.request_types import mentions_any
from ..models import Flag, Message, Request, Signoff
from .sender_proof import SenderProof

# What a sender's address is worth as evidence (sender_proof.sender_proven, bound to the
# backend and policy); by default only "not spoofed", as before there was a policy.
SenderCheck = Callable[[Message], SenderProof]


def _not_spoofed(message: Message) -> SenderProof:
    return SenderProof(not message.auth.spoofed)

EVIDENCE_ORDER = ("form_signature", "sender_is_manager", "forwarded_approval")
ROLE_NAMES = {
    "assistant_team_manager": "Assistant Team Manager",
    "team_manager": "Team Manager",
    "service_manager": "Service Manager (or Head of Service)",
    "head_of_service": "Head of Service",
    "assistant_director": "Assistant Director",
    "director": "Director",
}
# The signature place on the form that stands for each role; senior managers above a head of
# service have no place on any of the five forms, so only their email counts for them.
FORM_PLACE = {
    "assistant_team_manager": "team_manager",
    "team_manager": "team_manager",
    "service_manager": "service_manager",
    "head_of_service": "service_manager",
}
_MILES = re.compile(r"(\d+(?:\.\d+)?)\s*(?:miles?|mi\b)", re.IGNORECASE)


def role_name(req: SignoffRequirement) -> str:
    names = [ROLE_NAMES.get(req.role, req.role)] + [ROLE_NAMES.get(r, r) for r in req.also]
    return " or ".join(names)


def applies(req: SignoffRequirement, request: Request | None) -> bool:
    """Whether this requirement governs the request (``when``, ``when_words``, ``when_miles_over``)."""
    return why_applies(req, request) is not None


def why_applies(req: SignoffRequirement, request: Request | None) -> str | None:
    """None when the requirement does not govern the request; else the words that make it
    (empty for a requirement that always applies)."""
    if not req.conditional:
        return ""
    if request is None:
        return None
    types = sorted(set(req.when) & set(request.request_types))
    if types:
        return dict(request.request_type_words).get(types[0], types[0].replace("_", " "))
    text = " ".join(filter(None, [request.request, request.summary, request.field("placement"),
                                  request.duration]))
    if req.when_words:
        words = mentions_any(text, req.when_words)
        if words:
            return words
    if req.when_miles_over is not None:
        for m in _MILES.finditer(text):
            if float(m.group(1)) > req.when_miles_over:
                return m.group(0)
    return None


_APPROVAL = re.compile(
    r"\b(i\s+(?:am\s+happy|agree|approve|support|authori[sz]e|confirm)|approved?|agreed|authori[sz]ed|"
    r"happy\s+for\s+(?:this|it)|ok(?:ay)?\s+(?:for|to\s+go)|signed\s+off|sign\s+off|go\s+ahead|supported?)\b",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"\b(not\s+(?:agree|approve|approved|agreed|happy|supported?|authori[sz]ed)|do\s+not\s+(?:agree|approve|support)|"
    r"don'?t\s+(?:agree|approve|support)|cannot\s+(?:agree|approve|support)|can'?t\s+(?:agree|approve|support)|"
    r"decline|refuse|reject)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Evidence:
    kind: str
    by: str


def _form_signature(req: SignoffRequirement, request: Request | None) -> Evidence | None:
    if request is None:
        return None
    place = FORM_PLACE.get(req.role)
    if place is None:
        return None
    signatory = request.team_manager if place == "team_manager" else request.service_manager
    if signatory.signed:
        return Evidence("form_signature", signatory.name or ROLE_NAMES[req.role])
    return None


def _sender(req: SignoffRequirement, message: Message, directory: Directory, check: SenderCheck) -> Evidence | None:
    if not directory.is_manager(message.sender, req.role, req.also):
        return None
    proof = check(message)
    if not proof.counts:
        return None
    return Evidence("sender_is_manager", f"{message.sender} ({proof.note})" if proof.note else message.sender)


def agrees(text: str) -> bool:
    """Whether a manager's note agrees to the request going to panel.

    Deliberately cautious: any refusal wording anywhere wins over approval wording, since a
    wrongly inferred sign-off sends an unauthorised request to panel.
    """
    return bool(_APPROVAL.search(text)) and not _REFUSAL.search(text)


def _forwarded(req: SignoffRequirement, message: Message, directory: Directory) -> Evidence | None:
    for quoted in message.quoted:
        member = directory.by_email(quoted.sender)
        if member and set(member.roles) & satisfying_roles(req.role, req.also) and agrees(quoted.text):
            return Evidence("forwarded_approval", member.email)
    return None


def find_evidence(req: SignoffRequirement, message: Message, request: Request | None, directory: Directory,
                  sender_check: SenderCheck = _not_spoofed) -> Evidence | None:
    finders = {
        "form_signature": lambda: _form_signature(req, request),
        "sender_is_manager": lambda: _sender(req, message, directory, sender_check),
        "forwarded_approval": lambda: _forwarded(req, message, directory),
    }
    for kind in EVIDENCE_ORDER:
        if kind in req.evidence:
            found = finders[kind]()
            if found:
                return found
    return None


def check_signoff(profile: Profile, message: Message, request: Request | None, directory: Directory,
                  sender_check: SenderCheck = _not_spoofed) -> tuple[Signoff, list[Flag]]:
    """The blocking part of ``judge_signoff``: the sign-off found and the flags."""
    signoff, flags, _ = judge_signoff(profile, message, request, directory, sender_check)
    return signoff, flags


def judge_signoff(profile: Profile, message: Message, request: Request | None, directory: Directory,
                  sender_check: SenderCheck = _not_spoofed) -> tuple[Signoff, list[Flag], list[str]]:
    """Every requirement of the profile that applies to this request must be met; the
    submission shows the weakest evidence relied on (a sender's address is weaker than a
    signature on the form).  A requirement that is not ``blocking`` gives a warning when it is
    not met (north-somerset's Head of Service), never a flag.  ``sender_check`` says whether
    the mail system proves the sender (``[signoff] unproven_sender``)."""
    found: list[Evidence] = []
    unmet: list[SignoffRequirement] = []
    warnings: list[str] = []
    reasons: dict[int, str] = {}
    for req in profile.signoff:
        reason = why_applies(req, request)
        if reason is None:
            continue
        reasons[id(req)] = reason
        evidence = find_evidence(req, message, request, directory, sender_check)
        if evidence:
            found.append(evidence)
        elif req.blocking:
            unmet.append(req)
        else:
            warnings.append(_unmet_detail(req, reason).replace("This panel needs", "This panel looks for")
                            + " It was not seen; the request is not held back for it.")
    signoff = Signoff(None)
    if found:
        weakest = max(found, key=lambda e: EVIDENCE_ORDER.index(e.kind))
        signoff = Signoff(weakest.kind, weakest.by)  # type: ignore[arg-type]
    flags = [Flag("no_manager_signoff", _unmet_detail(req, reasons.get(id(req), ""))) for req in unmet]
    if len(flags) > 1:
        flags = [Flag("no_manager_signoff", " ".join(f.detail for f in flags))]
    return signoff, flags, warnings


def _unmet_detail(req: SignoffRequirement, reason: str = "") -> str:
    ways = {
        "form_signature": "to sign the form",
        "sender_is_manager": "to send it from their own email address",
        "forwarded_approval": "to agree to it in an email that is forwarded with the form",
    }
    options = " or ".join(ways[k] for k in EVIDENCE_ORDER if k in req.evidence)
    who = role_name(req)
    why = f" ({req.source})" if req.source else ""
    because = f" Needed here because the request says “{reason}”." if reason else ""
    return f"No sign-off from the {who} was found. This panel needs the {who} {options}{why}.{because}"
