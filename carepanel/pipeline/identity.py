"""Who a request is about: the test behind "a later form for the same child supersedes".

A social worker often leaves the child's ID off the first form and adds it when the
administrator asks, so two forms are about the same children when each child of one is a child
of the other by ID, or, where either form lacks the ID, by name and date of birth.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..models import Request


def _id(value: str | None) -> str | None:
    return re.sub(r"\s+", "", value).upper() or None if value else None


def _name(name: str | None, dob: str | None) -> str | None:
    return " ".join(name.lower().split()) + "|" + (dob or "") if name and name.strip() else None


def child_key(request: Request | None) -> str | None:
    """An indexable summary of the children (IDs where given, else name and DOB)."""
    if request is None or not request.children:
        return None
    keys = []
    for c in request.children:
        if c.child_id and _id(c.child_id):
            keys.append("id:" + str(_id(c.child_id)))
        elif c.name:
            keys.append("name:" + str(_name(c.name, c.dob.isoformat() if c.dob else None)))
    return "+".join(sorted(keys)) or None


def _same_child(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    ida, idb = _id(a.get("child_id")), _id(b.get("child_id"))
    if ida and idb:
        return ida == idb
    na, nb = _name(a.get("name"), a.get("dob")), _name(b.get("name"), b.get("dob"))
    return na is not None and na == nb and bool(a.get("dob"))


def same_children(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> bool:
    """Both requests name the same children (as JSON children lists), in any order."""
    if not a or len(a) != len(b):
        return False
    return all(any(_same_child(x, y) for y in b) for x in a) and all(any(_same_child(y, x) for x in a) for y in b)


def reference(children: Sequence[Mapping[str, Any]]) -> str | None:
    """Initials and ID ("A.H. (LCS123456)"): enough for staff who know the case, little for
    anyone else who sees an agenda or an email subject."""
    refs = []
    for c in children:
        initials = ".".join(p[0].upper() for p in (c.get("name") or "").split() if p[:1].isalpha())
        initials = initials + "." if initials else "the child"
        refs.append(f"{initials} ({c['child_id']})" if c.get("child_id") else initials)
    return ", ".join(refs) or None
