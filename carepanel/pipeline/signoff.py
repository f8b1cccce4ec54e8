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

from ..config import Profile, SignoffRequirement
from ..directory import ROLE_SATISFIES, Directory
from .models import Flag, Message, Request, Signoff
from .sender_proof import SenderProof

# What a sender's address is worth as evidence (sender_proof.sender_proven, bound to the
# backend and policy); by default only "not spoofed", as before there was a policy.
SenderCheck = Callable[[Message], SenderProof]


def _not_spoofed(message: Message) -> SenderProof:
    return SenderProof(not message.auth.spoofed)

EVIDENCE_ORDER = ("form_signature", "sender_is_manager", "forwarded_approval")
ROLE_NAMES = {"team_manager": "Team Manager", "service_manager": "Service Manager (or Head of Service)"}

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
    signatory = request.team_manager if req.role == "team_manager" else request.service_manager
    if signatory.signed:
        return Evidence("form_signature", signatory.name or ROLE_NAMES[req.role])
    return None


def _sender(req: SignoffRequirement, message: Message, directory: Directory, check: SenderCheck) -> Evidence | None:
    if not directory.is_manager(message.sender, req.role):
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
        if member and member.role in ROLE_SATISFIES[req.role] and agrees(quoted.text):
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
    """Every requirement of the profile must be met; the submission shows the weakest
    evidence relied on (a sender's address is weaker than a signature on the form)."""
    found: list[Evidence] = []
    unmet: list[SignoffRequirement] = []
    for req in profile.signoff:
        evidence = find_evidence(req, message, request, directory, sender_check)
        if evidence:
            found.append(evidence)
        else:
            unmet.append(req)
    signoff = Signoff(None)
    if found:
        weakest = max(found, key=lambda e: EVIDENCE_ORDER.index(e.kind))
        signoff = Signoff(weakest.kind, weakest.by)  # type: ignore[arg-type]
    flags = [Flag("no_manager_signoff", _unmet_detail(req)) for req in unmet]
    if len(flags) > 1:
        flags = [Flag("no_manager_signoff", " ".join(f.detail for f in flags))]
    return signoff, flags


def _unmet_detail(req: SignoffRequirement) -> str:
    ways = {
        "form_signature": "to sign the form",
        "sender_is_manager": "to send it from their own email address",
        "forwarded_approval": "to agree to it in an email that is forwarded with the form",
    }
    options = " or ".join(ways[k] for k in EVIDENCE_ORDER if k in req.evidence)
    return f"No sign-off from the {ROLE_NAMES[req.role]} was found. This panel needs the {ROLE_NAMES[req.role]} {options}."
