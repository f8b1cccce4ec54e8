"""Whether a late request may be accepted for the panel it asked for (``[cutoff] late``).

``chair_may_accept`` (the default; care-planning-resources 3.7 "only with permission of the
Panel Chair or Vice Chair"): an administrator accepts it naming the chair or vice chair who
agreed, who must be one in the staff directory.  ``refuse`` (swindon "no late applications
will be considered"): it is held for the next panel and cannot be accepted for the earlier one.
"""

from __future__ import annotations

from ..profiles import Profile
from ..directory import Directory


def late_refusal(profile: Profile, directory: Directory, chair: str | None) -> str | None:
    """Why a late acceptance naming ``chair`` is refused, or None when it may go ahead."""
    if profile.cutoff.late == "refuse":
        return ("This panel considers no late applications"
                + (f" (“{profile.cutoff.source}”)" if profile.cutoff.source else "")
                + ": the request stays on the next panel.")
    if not directory.has_role(chair, "chair", "vice_chair"):
        return f"{chair or 'Nobody'} is not a chair or vice chair in the staff directory; only they can agree to a late request."
    return None
