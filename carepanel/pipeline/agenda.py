"""The agenda of one sitting: which cases, in what order, at what time.

Pure: the store hands over the accepted submissions, the reviews brought back to this date and
the administrator's own items and changes; this module orders them and gives each a slot.

The default order is the one panels use by hand: ratifications of emergency decisions and
reviews first (short, and the chair wants them settled), then new requests grouped by team so a
manager presenting several cases is seen in one stretch, each group in order of receipt.  An
administrator's explicit order wins over all of that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..profiles import Profile
from ..models import Panel

class AgendaMark(Protocol):
    """The administrator's row for one case or hand-added item, as the store keeps it
    (``store.AgendaItem``); a hand-added item has ``ref_id == id``."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def ref_id(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def team(self) -> str | None: ...
    @property
    def complex(self) -> bool: ...
    @property
    def position(self) -> int | None: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> str: ...


KIND_RANK = {"ratification": 0, "review": 1, "manual": 2, "request": 3}
KIND_LABEL = {"ratification": "Ratification", "review": "Review", "manual": "Item", "request": "New request"}


@dataclass(frozen=True)
class Case:
    """One thing the panel will hear."""

    ref_id: str  # submission id, review id, or agenda item id
    kind: str  # request | review | ratification | manual
    title: str  # e.g. "s20" or the administrator's words
    child_ref: str  # initials and ID: enough for the panel, little for a misdirected email
    team: str | None
    received_at: str  # ISO, for a stable order within a team
    complex: bool = False
    position: int | None = None
    submission_id: str | None = None
    child_key: str | None = None
    social_worker: str | None = None  # email addresses, for the slot notice
    team_manager: str | None = None


@dataclass(frozen=True)
class Slot:
    case: Case
    starts: datetime
    ends: datetime

    def to_json(self) -> dict[str, Any]:
        return {"ref_id": self.case.ref_id, "kind": self.case.kind, "submission_id": self.case.submission_id,
                "title": self.case.title, "child_ref": self.case.child_ref, "team": self.case.team,
                "complex": self.case.complex, "slot": self.starts.strftime("%H:%M"), "ends": self.ends.strftime("%H:%M")}


@dataclass(frozen=True)
class Agenda:
    panel: Panel
    slots: tuple[Slot, ...]  # the cases that fit in the sitting
    overflow: tuple[Slot, ...]  # the cases that run past its end: the administrator must act
    withdrawn: tuple[Case, ...]

    @property
    def cases(self) -> tuple[Case, ...]:
        return tuple(s.case for s in self.slots + self.overflow)

    def to_json(self) -> dict[str, Any]:
        return {"panel_date": self.panel.date.isoformat(), "starts": self.panel.starts_at.isoformat(),
                "ends": self.panel.ends_at.isoformat(), "slots": [s.to_json() for s in self.slots],
                "overflow": [s.to_json() for s in self.overflow],
                "withdrawn": [{"ref_id": c.ref_id, "kind": c.kind} for c in self.withdrawn]}


def is_complex(profile: Profile, request_types: Sequence[str], children: int) -> bool:
    rules = profile.panel
    return bool(set(request_types) & set(rules.complex_types)) or children >= rules.complex_children


def order(cases: Sequence[Case]) -> list[Case]:
    """Administrator's positions first (in their order), then the default order for the rest."""
    placed = sorted((c for c in cases if c.position is not None), key=lambda c: (c.position, c.ref_id))
    rest = [c for c in cases if c.position is None]
    first_seen: dict[str, str] = {}
    for c in sorted(rest, key=lambda c: c.received_at):
        first_seen.setdefault(c.team or "", c.received_at)
    rest.sort(key=lambda c: (KIND_RANK[c.kind], first_seen[c.team or ""] if c.kind == "request" else "",
                             c.team or "", c.received_at, c.ref_id))
    return placed + rest


def build(profile: Profile, panel: Panel, cases: Sequence[Case], withdrawn: Sequence[Case] = ()) -> Agenda:
    """Slots of the profile's length from the sitting's start; what runs past the end overflows."""
    slots: list[Slot] = []
    overflow: list[Slot] = []
    at = panel.starts_at
    for case in order(cases):
        minutes = profile.panel.complex_slot_minutes if case.complex else profile.panel.slot_minutes
        end = at + timedelta(minutes=minutes)
        (slots if end <= panel.ends_at else overflow).append(Slot(case, at, end))
        at = end
    return Agenda(panel, tuple(slots), tuple(overflow), tuple(withdrawn))


def apply_items(cases: Sequence[Case], items: Sequence[AgendaMark]) -> tuple[list[Case], list[Case]]:
    """Lay the administrator's agenda rows (positions, complex marks, withdrawals) over the cases.

    Returns (listed, withdrawn).  Manual items are cases of their own and are added here.
    """
    by_ref = {i.ref_id: i for i in items}
    listed: list[Case] = []
    withdrawn: list[Case] = []
    for case in cases:
        item = by_ref.get(case.ref_id)
        if item is not None:
            case = replace(case, position=item.position, complex=case.complex or item.complex)
            if item.status == "withdrawn":
                withdrawn.append(case)
                continue
        listed.append(case)
    for item in items:
        if item.kind in ("manual", "ratification") and item.ref_id == item.id:
            case = Case(ref_id=item.id, kind=item.kind, title=item.title or "", child_ref="",
                        team=item.team, received_at=item.created_at, complex=item.complex,
                        position=item.position)
            (withdrawn if item.status == "withdrawn" else listed).append(case)
    return listed, withdrawn
