"""The administrator's review actions: one set of rules behind every face.

The web app's review queue and ``carepanel review`` both call these, so a submission is
accepted, moved or turned away under the same rules and leaves the same audit entries
whichever face was used.  Each action checks first (raising ``ReviewError`` with a code;
nothing is written), then makes one audited change through the store; mail to the sender is
queued with that change and sent by the service afterwards.

    accept          clear every flag: listed for its panel
    accept_late     clear ``late`` with a chair's agreement (rules: ``check_late_acceptance``)
    record_signoff  clear ``no_manager_signoff``: the manager agreed outside the form
    correct         record a corrected value beside the one read (the original stays)
    move            put it on another sitting of the panel
    reject          turn it away; the sender is told why (``outputs/templates/reject.txt.j2``)
    ask             email the sender for what is missing (``ask.txt.j2``, or the person's own text)

``Review.actor`` is who acted, for the audit log: the signed-in address in the web app;
``--by`` (else ``cli:`` and the login name) on the command line.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from ..config import Config
from ..directory import Directory
from ..errors import ReviewError
from ..outputs import notices
from ..pipeline import calendar
from ..pipeline.late import late_refusal
from ..store import Store
from ..store import StoredSubmission as Submission

ASK_REASON = "asked for what is missing"  # the audit reason of an email to the sender
CLOSED = ("superseded", "rejected")  # no flag can be cleared on these (the store refuses too)


@dataclass(frozen=True)
class Review:
    """One person's review work: the config, the store, the staff directory, and who acts."""

    cfg: Config
    store: Store
    directory: Directory
    actor: str

    # ------------------------------------------------------------------ the actions

    def accept(self, sub_id: str, *, reason: str) -> Submission:
        """Listed despite its flags: the administrator takes responsibility, with the reason."""
        reason = _reason(reason)
        sub = self._open(sub_id)
        codes = sub.flag_codes
        return self.store.amend_submission(sub_id, actor=self.actor, action="accepted_by_administrator", reason=reason,
                                           remove_flags=codes)

    def accept_late(self, sub_id: str, *, chair: str, when: str, reason: str,
                    panel_date: date | None = None) -> Submission:
        """Heard late because a chair agreed: the ``late`` flag goes, the agreement is on record.

        ``panel_date`` is the sitting that hears it (default: the one it is listed for)."""
        reason = _reason(reason)
        sub = self._open(sub_id)
        chair, when = chair.strip(), when.strip()
        self.check_late_acceptance(sub, chair, when)
        day = panel_date or sub.panel_day
        if day is None or panel_date is not None:
            self._sitting(day)
        return self.store.amend_submission(sub_id, actor=self.actor, action="late_accepted", reason=reason,
                                           remove_flags=("late",), panel_date=day, data={"chair": chair, "when": when})

    def record_signoff(self, sub_id: str, *, manager: str | None, reason: str) -> Submission:
        """The manager agreed by phone or in an email on file: the sign-off flag goes."""
        reason = _reason(reason)
        self._open(sub_id)
        by = (manager or "").strip() or "(not named)"
        return self.store.amend_submission(sub_id, actor=self.actor, action="signoff_recorded", reason=reason,
                                           remove_flags=("no_manager_signoff",),
                                           signoff={"source": "admin_override", "by": self.actor}, data={"manager": by})

    def correct(self, sub_id: str, *, field: str, value: str | None, reason: str) -> Submission:
        """A value read wrongly, set right beside the original (which is never changed)."""
        field, reason = field.strip(), reason.strip()
        if not field or not reason:
            raise ReviewError("Say which field, the corrected value and why.",
                              code="field_required" if not field else "reason_required")
        self._find(sub_id)
        self.store.add_correction(sub_id, field, (value or "").strip() or None, actor=self.actor, reason=reason)
        return self._find(sub_id)

    def move(self, sub_id: str, *, to: date, reason: str) -> Submission:
        """On to another sitting of this panel (the family asked to wait, the worker is away)."""
        reason = _reason(reason)
        self._sitting(to)
        self._find(sub_id)
        self.store.move_submission(sub_id, to, actor=self.actor, reason=reason)
        return self._find(sub_id)

    def reject(self, sub_id: str, *, reason: str) -> Submission:
        """Turned away; the sender is told why in the same step."""
        reason = _reason(reason)
        sub = self._find(sub_id)
        mail = notices.rejection(self.cfg, sub, reason).as_row()
        return self.store.amend_submission(sub_id, actor=self.actor, action="rejected", reason=reason, status="rejected",
                                           outgoing=[mail])

    def ask(self, sub_id: str, *, body: str | None = None, reason: str = ASK_REASON) -> Submission:
        """An email to the sender: ``body`` as the person wrote it, else ``ask_text``."""
        reason = _reason(reason)
        sub = self._find(sub_id)
        text = (body if body is not None else self.ask_text(sub)).strip()
        if not text:
            raise ReviewError("The email to the sender is empty.", code="message_required")
        mail = notices.administrator_reply(sub, f"ask-{sub.id}-{secrets.token_hex(4)}", text).as_row()
        self.store.queue_outgoing([mail], actor=self.actor)
        self.store.audit(self.actor, "sender_asked", "submission", sub_id, reason)
        return sub

    def ask_text(self, sub: Submission) -> str:
        """The email ``ask`` sends unless the person wrote their own: one line per flag."""
        return notices.request_for_more(self.cfg, sub)

    # ------------------------------------------------------------------ the rules

    def check_late_acceptance(self, sub: Submission, chair: str, when: str) -> None:
        """Whether a late submission may be heard: the one place these rules live.

        A chair must be named, with when they agreed; the profile's ``[cutoff] late`` may refuse
        every late acceptance (swindon), and otherwise the chair named must be a chair or vice
        chair in the staff directory (pipeline/late.py).
        """
        if not chair or not when:
            raise ReviewError("Say which chair agreed, and when.", code="chair_required")
        refused = late_refusal(self.cfg.profile, self.directory, chair)
        if refused:
            code = "late_refused" if self.cfg.profile.cutoff.late == "refuse" else "not_a_chair"
            raise ReviewError(refused, code=code)

    def _sitting(self, day: date | None) -> None:
        if day is None or day not in calendar.sittings(self.cfg.profile, day, day):
            where = f" on {day:%A %-d %B %Y}" if day else " on that day"
            raise ReviewError(f"The panel does not sit{where}.", code="not_a_sitting")

    def _find(self, sub_id: str) -> Submission:
        sub = self.store.submission(sub_id)
        if sub is None:
            raise ReviewError(f"There is no submission {sub_id}.", code="no_such_submission")
        return sub

    def _open(self, sub_id: str) -> Submission:
        sub = self._find(sub_id)
        if sub.status in CLOSED:
            raise ReviewError(f"This submission is {sub.status}; its flags can no longer be cleared.", code="closed")
        return sub


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ReviewError("A reason is required: it goes in the audit log.", code="reason_required")
    return reason
