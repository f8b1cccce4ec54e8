"""Whether the mail system proves who sent a message, and what that is worth for sign-off.

"Sent from the team manager's own address" is sign-off evidence only if the address is really
theirs: anyone can write ``From: terry.manager@...``.  The sender counts as proven only when
the mail system says so:

- the receiving server's ``Authentication-Results`` gives ``dmarc=pass`` (the From domain is
  aligned with a passing SPF or DKIM check) or Microsoft's ``compauth=pass``; or
- the backend is Exchange or Graph and Exchange stamped the message as sent from inside the
  organisation (``X-MS-Exchange-Organization-AuthAs: Internal`` and its cross-tenant kin).
  Exchange removes these headers from mail arriving from outside, so only it may be believed
  on them; in a drop folder anyone could have written them.

A failing SPF, DKIM or DMARC result is never accepted.  When nothing proves the sender, the
council's ``[signoff] unproven_sender`` decides: ``refuse`` (the default on the imap, exchange
and graph backends: the address is not evidence), ``warn`` (it counts, and the submission says
the sender was not proven), ``accept`` (the default on the folder backend, a drop folder the
council fills itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Message

EXCHANGE_BACKENDS = ("exchange", "graph")
UNPROVEN_NOTE = "sender not proven by the mail system"


@dataclass(frozen=True)
class SenderProof:
    counts: bool  # may the sender's address stand as sign-off evidence
    note: str | None = None  # said beside the evidence when it stands unproven


def proven(message: Message, backend: str) -> bool:
    auth = message.auth
    if auth.spoofed:
        return False
    if auth.dmarc == "pass" or auth.compauth == "pass":
        return True
    return backend in EXCHANGE_BACKENDS and auth.exchange_auth_as == "internal"


def sender_proven(message: Message, backend: str, policy: str) -> SenderProof:
    """What the sender's address is worth under the council's ``unproven_sender`` policy."""
    if message.auth.spoofed:
        return SenderProof(False)
    if proven(message, backend):
        return SenderProof(True)
    if policy == "accept":
        return SenderProof(True)
    if policy == "warn":
        return SenderProof(True, UNPROVEN_NOTE)
    return SenderProof(False)
