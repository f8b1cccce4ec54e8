"""A panel's rules in plain English, each with the policy words it comes from.

``carepanel rules --profile NAME`` prints them for a council's panel manager to check against
their policy; the web app's Rules page shows the same to administrators and chairs; and
``docs/rules.md`` is the matrix of every profile's rules with the conformance test that
proves each (``tests/rules/``, found by their ``@proves(profile, rule)`` marks).

Everything here is read from the profile (the TOML's ``source`` and ``note`` keys), so a
council that changes a rule in its config sees the change here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .profiles import (PROFILE_NAMES, WEEKDAYS, Deadline, DecisionDeadline, Exclusion, Profile, SignoffRequirement,
                       load_profile)

ROLE_TITLES = {
    "assistant_team_manager": "Assistant Team Manager", "team_manager": "Team Manager",
    "service_manager": "Service Manager", "head_of_service": "Head of Service",
    "assistant_director": "Assistant Director", "director": "Director",
}
EVIDENCE_TEXT = {
    "form_signature": "their signature on the form",
    "sender_is_manager": "the email sent from their own address",
    "forwarded_approval": "their agreement forwarded in the email",
}
V2 = "Rules v2 (shared/contract/profiles.md)"
CHILDREN_SOURCE = {
    "south-gloucestershire": "Care leavers accommodation requests … children and young people aged from 0-25",
}


@dataclass(frozen=True)
class Rule:
    """One rule as a panel manager reads it."""

    id: str
    section: str
    text: str
    source: str
    note: str = ""

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "section": self.section, "rule": self.text, "source": self.source, "note": self.note}


def _money(x: float) -> str:
    return f"£{x:,.0f}" if float(x).is_integer() else f"£{x:,.2f}"


def _deadline(d: Deadline) -> str:
    at = d.time.strftime("%H:%M")
    if d.rule == "weekday_before":
        week = " the week before the panel" if d.min_days_before >= 7 else " before the panel"
        return f"{WEEKDAYS[d.weekday or 0].capitalize()} {at}{week}"
    return f"{d.days} working day{'s' if d.days != 1 else ''} before the panel, {at}"


def _signoff(req: SignoffRequirement) -> Rule:
    who = " or ".join([ROLE_TITLES[req.role], *(ROLE_TITLES[r] for r in req.also)])
    ways = " or ".join(EVIDENCE_TEXT[e] for e in req.evidence)
    when = []
    if req.when:
        when.append("requests of type " + ", ".join(req.when))
    if req.when_words:
        when.append("requests that say " + " / ".join(_plain(p) for p in req.when_words))
    if req.when_miles_over is not None:
        when.append(f"placements more than {req.when_miles_over:g} miles from home")
    scope = f" Only for {'; or '.join(when)}." if when else ""
    senior = " A more senior manager's sign-off also counts." if req.role in ROLE_TITLES and req.role != "director" else ""
    result = ("Without it the request is flagged no_manager_signoff." if req.blocking
              else "Without it the request still goes ahead, with a warning that it was not seen.")
    return Rule(f"signoff.{req.role}", "Sign-off", f"The {who}'s agreement: {ways}.{scope}{senior} {result}",
                req.source, req.note)


def _plain(pattern: str) -> str:
    """A when_words pattern as words: 'out\\s+of\\s+(?:area|borough)' -> 'out of area|borough'."""
    text = re.sub(r"\\s[+*]?", " ", pattern)
    text = re.sub(r"\(\?:", "(", text)
    return re.sub(r"[()?\\]", "", text)


def _exclusion(i: int, e: Exclusion) -> Rule:
    parts = [f"Not considered: {e.what}"]
    if e.disabled_only:
        parts.append("for a disabled child")
    if e.below_total is not None and "under" not in e.what:
        parts.append(f"when it costs under {_money(e.below_total)} in total")
    lifted = []
    if e.unless_types:
        lifted.append("the request is (part of) " + " or ".join(t.replace("_", " ") for t in e.unless_types))
    if e.unless_total_over is not None:
        lifted.append(f"it costs more than {_money(e.unless_total_over)} in total")
    if e.unless_weeks_over is not None:
        lifted.append(f"it is needed for more than {e.unless_weeks_over:g} weeks")
    if e.unless_package:
        lifted.append("it is part of a wider package of support")
    text = " ".join(parts) + "."
    if lifted:
        text += " It is considered when " + " and ".join(lifted) + "."
    if e.refer_to:
        text += f" The flag sends it to the {e.refer_to}."
    if e.refer_to_disabled:
        text += f" For a disabled child the flag sends it to the {e.refer_to_disabled}."
    how = "request types " + ", ".join(e.types) if e.types else "the words " + ", ".join(f"“{k}”" for k in e.keywords)
    text += f" Recognised by {how}, never by a negated mention (\"there are no …\"). Flag: out_of_scope."
    return Rule(f"scope.{i}", "Scope", text, e.source, e.note)


def profile_rules(profile: Profile) -> list[Rule]:
    """Every intake rule of the profile, in the order a request meets them."""
    p = profile.panel
    every = "every week" if p.frequency == "weekly" else "every fortnight"
    rules = [Rule("panel", "Calendar",
                  f"The panel sits {every} on {WEEKDAYS[p.weekday].capitalize()}, {p.starts:%H:%M}–{p.ends:%H:%M}; "
                  "never on a bank holiday.", p.source, p.note),
             Rule("cutoff", "Calendar",
                  f"Requests must arrive by {_deadline(profile.cutoff)}; a cut-off on a non-working day moves to the "
                  "previous working day.", profile.cutoff.source, "")]
    late = ("A late request is flagged late and held for the next panel; an administrator may accept it for the date "
            "asked, naming the chair or vice chair (from the staff directory) who agreed."
            if profile.cutoff.late == "chair_may_accept" else
            "A late request is flagged late and held for the next panel; it cannot be accepted for the earlier one.")
    rules.append(Rule("late", "Calendar", late, profile.cutoff.source, profile.cutoff.note))
    rules.append(Rule("papers_out", "Calendar",
                      f"Papers go to members by {_deadline(profile.papers_out)}; on a non-working day they go on the "
                      "previous working day, but never before the cut-off: then "
                      f"{profile.papers_out.min_hours_after_cutoff:g} hours after it.",
                      profile.papers_out.source, profile.papers_out.note))
    rules += [_signoff(r) for r in profile.signoff]
    th = profile.threshold
    if th.amount > 0:
        compare = "more than" if th.comparison == "exceeds" else "at least"
        basis = ("a year (the weekly cost over the weeks asked for within a year, 52 when none are given)"
                 if th.per == "year" else "for the request as a whole")
        disabled = f" ({_money(th.disabled_amount)} for a disabled child, as the form or the request says)" if th.disabled_amount else ""
        text = (f"Spending comes to panel when it is {compare} {_money(th.amount)}{disabled} {basis}; below that it is "
                "flagged below_threshold. Any request that states a cost is judged, whatever its type; one with no "
                "cost is not.")
    else:
        text = "No spending threshold: every request is considered whatever it costs."
    rules.append(Rule("threshold", "Money", text, th.source, th.note))
    rules += [_exclusion(i, e) for i, e in enumerate(profile.excluded, start=1)]
    for i, a in enumerate(profile.advice, start=1):
        rules.append(Rule(f"advice.{i}", "Warnings", f"A warning, never a flag, about {a.what}: “{a.message}”",
                          a.source, a.note))
    docs = ", ".join(d.replace("_", " ") for d in profile.required_documents)
    rules.append(Rule("documents", "Papers",
                      f"Papers required with the form: {docs}; missing ones are flagged missing_documents." if docs
                      else "No papers are required with the form.",
                      profile.documents_source.source, profile.documents_source.note))
    rules.append(Rule("fields", "Papers",
                      "Answers required on the form (flagged missing_fields when empty): "
                      + ", ".join(profile.required_fields) + ".",
                      profile.fields_source.source, profile.fields_source.note))
    rules.append(Rule("children", "Who the request is about",
                      "Every row of the form's children / young people table is a child or young person whatever the "
                      "age (care leavers are 18 to 25); parents are only the rows the form gives to parents.",
                      CHILDREN_SOURCE.get(profile.name, ""), f"{V2}, “Who the request is about”."))
    rules.append(Rule("request_types", "Who the request is about",
                      "The kind of request is read from its words; a negated mention (“no”, “not”, “there are no”, "
                      "“not subject to”) is not a mention, and the flag names the words that decided it.",
                      "", f"{V2}, “Scope”: negated mentions are not mentions."))
    return rules + decision_rules(profile) + emergency_rules(profile)


# --------------------------------------------------------------------------- decisions

NOTIFY_TEXT = {
    "social_worker": "the social worker named on the form (from the staff directory; the sender only when the "
                     "sender is that social worker)",
    "team_manager": "the team manager named on the form", "service_manager": "every Service Manager",
    "head_of_service": "every Head of Service", "assistant_director": "every Assistant Director",
    "director": "the Director", "finance": "the finance officer", "iro": "the IRO", "chair": "the chair",
    "vice_chair": "the vice chair", "administrator": "the panel administrator",
}
EVENT_TEXT = {"drafted": "The draft record goes to the chair", "signed": "The chair signs the record (and the summary "
              "goes to those told)", "uploaded": "The signed record is uploaded to the child's {system} record"}
BASE_TEXT = {"panel": "the end of the panel", "drafted": "the draft", "signed": "the chair's signature"}
DECISIONS = "Decisions"
EMERGENCY = "Emergency decisions outside panel"


def _labels(profile: Profile, outcomes: Sequence[str]) -> str:
    return ", ".join(f"{profile.decisions.labels.get(o, o)} ({o})" for o in outcomes)


def _due(d: DecisionDeadline, system: str) -> str:
    what = EVENT_TEXT[d.event].format(system=system)
    if d.hours is not None:
        return f"{what} within {d.hours} hours of {BASE_TEXT[d.base]}; past it the administrator is warned."
    after = "the panel" if d.base == "panel" else BASE_TEXT[d.base]
    return (f"{what} by the end of the {WEEKDAYS[d.weekday or 0].capitalize()} after {after}; past it the "
            "administrator is warned.")


def decision_rules(profile: Profile) -> list[Rule]:
    """What happens at and after the sitting: outcomes, bookings, finance log, notices,
    deadlines and signing, each from the ``[decisions]`` table's ``*_source`` / ``*_note`` keys."""
    d = profile.decisions

    def rule(rid: str, key: str, text: str) -> Rule:
        return Rule(f"decisions.{rid}", DECISIONS, text, d.sources.get(key, ""), d.notes.get(key, ""))

    together = "; ".join(" and ".join(_labels(profile, [o]) for o in d.outcomes if o in c) for c in d.combinations)
    out = [rule("outcomes", "outcomes",
                f"The panel's outcomes: {_labels(profile, d.outcomes)}. Any other is refused. "
                + ("One outcome per decision." if not d.combinations else
                   "One outcome per decision, except those given together (below)."))]
    if d.combinations:
        out.append(rule("combinations", "combinations",
                        f"Outcomes recorded together on one decision: {together}. Any other pair is refused."))
    if "defer" in d.outcomes:
        out.append(rule("defer", "defer",
                        "A deferral names the panel it goes to (a date); it is refused without one, and the child is "
                        "booked onto the agenda of the first sitting on or after that date as a review."))
    if "return_to_panel" in d.outcomes:
        out.append(rule("return_to_panel", "return_to_panel",
                        "A return to panel names a date or a frequency (\"every 3 months\"); it is refused without "
                        "one. A date books the first sitting on or after it; a frequency the first sitting after the "
                        "interval. The next review date is on the decision sheet."))
    out.append(rule("approving", "approving",
                    f"The costs named on a decision with outcome {_labels(profile, d.approving) or '(none)'} are "
                    "approved spending and go to the finance log."))
    if d.pre_proceedings_review_weeks:
        weeks = d.pre_proceedings_review_weeks
        out.append(rule("pre_proceedings", "pre_proceedings_review_weeks",
                        f"A pre-proceedings case that is approved comes back for review at {min(weeks)}–{max(weeks)} "
                        "weeks: booked at the first sitting inside the window, shown as the next review date."))
    told = "; ".join(NOTIFY_TEXT[r] for r in d.notify)
    out.append(rule("notify", "notify", f"The decision notice goes to {told}."))
    for dl in d.deadlines:
        out.append(Rule(f"decisions.deadline.{dl.event}", DECISIONS, _due(dl, d.case_system), dl.source, dl.note))
    out.append(rule("signing", "signing",
                    "Only a person who is chair or vice chair in the staff directory signs a decision (as the "
                    "directory spells their name); anyone else is refused (not_a_chair) and nothing is signed."))
    out.append(rule("sitting", "sitting",
                    "A decision is not recorded or signed before its sitting has started (not_yet_sat), except "
                    "emergency decisions outside panel and their ratification."))
    return out


PANEL_ROLES = {"chair": "the panel's chair", "vice_chair": "the panel's vice chair"}


def _roles(roles: Sequence[str]) -> str:
    def one(role: str) -> str:
        title = ROLE_TITLES.get(role, role.replace("_", " "))
        return PANEL_ROLES.get(role) or ("an " if title[0] in "AEIOU" else "a ") + title

    return " and ".join(one(r) for r in roles)


def emergency_rules(profile: Profile) -> list[Rule]:
    """Who may decide outside panel and how long after it may be recorded (``[emergency]``)."""
    e = profile.emergency
    out = []
    for i, a in enumerate(e.authorities, start=1):
        when = {"always": "", "high_cost": " for a high-cost placement",
                "not_high_cost": " for a placement that is not high cost"}[a.when]
        about = (" about " + " or ".join(f"“{k}”" for k in a.keywords)) if a.keywords else ""
        both = ", each a different person" if len(a.roles) > 1 else ""
        senior = (" A more senior manager counts for a manager's role."
                  if any(r in ROLE_TITLES and r != "director" for r in a.roles) else "")
        out.append(Rule(f"emergency.authority.{i}", EMERGENCY,
                        f"A decision outside panel{about}{when} may be made by {_roles(a.roles)}{both} (in the "
                        f"staff directory); anyone else is refused (not_authorised).{senior}",
                        a.source, a.note))
    for i, w in enumerate(e.windows, start=1):
        about = " about " + " or ".join(f"“{k}”" for k in w.keywords) if w.keywords else ""
        out.append(Rule(f"emergency.window.{i}", EMERGENCY,
                        f"A decision outside panel{about} is recorded no more than {w.max_days} days after it was "
                        "made; an older one is refused with the reason (not_authorised).", w.source, w.note))
    high_cost = any(a.when != "always" for a in e.authorities)
    if high_cost:
        if e.high_cost_weekly is not None or e.high_cost_total is not None:
            figures = " or ".join(f for f in (
                f"{_money(e.high_cost_weekly)} a week" if e.high_cost_weekly is not None else "",
                f"{_money(e.high_cost_total)} in total" if e.high_cost_total is not None else "") if f)
            text = f"A placement is high cost at {figures} or more, or when the person recording says so."
        else:
            text = ("A placement is high cost when the person recording it says so (emergency-decision --high-cost); "
                    "the council may set a figure (high_cost_weekly / high_cost_total).")
        out.append(Rule("emergency.high_cost", EMERGENCY, text, e.source, e.note))
    out.append(Rule("emergency.record", EMERGENCY,
                    "A decision outside panel is recorded with who made it and the day it was made (never a day in "
                    "the future), signed by the chair or vice chair whenever it was made, and listed for ratification at "
                    "the next sitting.", e.source, "" if high_cost else e.note))
    return out


# --------------------------------------------------------------------------- output


def as_text(profile: Profile) -> str:
    lines = [f"{profile.council}: {profile.title} ({profile.name})", ""]
    section = None
    for r in profile_rules(profile):
        if r.section != section:
            section = r.section
            lines += [section, "-" * len(section)]
        lines.append(f"[{r.id}] {r.text}")
        lines.append(f"    Policy: “{r.source}”" if r.source else "    Policy: silent here.")
        if r.note:
            lines.append(f"    Our reading: {r.note}")
        lines.append("")
    return "\n".join(lines)


_PROVES = re.compile(r"@proves\(([^)]*)\)(?:(?!\ndef ).)*?\ndef\s+(test_\w+)", re.S)


def tests_index(tests_dir: Path) -> dict[tuple[str, str], list[str]]:
    """(profile, rule id) -> the conformance tests marked ``@proves(profile, rule, …)``."""
    index: dict[tuple[str, str], list[str]] = {}
    for path in sorted(tests_dir.glob("test_*.py")):
        for m in _PROVES.finditer(path.read_text(encoding="utf-8")):
            args = re.findall(r'"([^"]+)"', m.group(1))
            for profile, rule in zip(args[::2], args[1::2]):
                index.setdefault((profile, rule), []).append(f"{path.name}::{m.group(2)}")
    return index


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def markdown(tests: Mapping[tuple[str, str], Sequence[str]], names: Sequence[str] = PROFILE_NAMES) -> str:
    """docs/rules.md: profile x rule x policy words x the test that proves it."""
    out = ["# The panels' rules, traced to their policies", "",
           "Generated by `carepanel rules --markdown` (`scripts/rules_doc.py` writes this file); "
           "`tests/rules/test_rules_doc.py` fails when it is stale. Each rule is data in "
           "`carepanel/profiles/NAME.toml`, with the policy's words in its `source` key (`*_source` in "
           "`[decisions]`) and our reading, where the policy is silent, in `note` (`*_note`). Tests are in "
           "`tests/rules/`, each marked with the rules it proves (`@proves(profile, rule)`).", ""]
    for name in names:
        profile = load_profile(name)
        out += [f"## {name}: {profile.council}, {profile.title}", ""]
        part = None
        for r in profile_rules(profile):
            heading = r.section if r.section in (DECISIONS, EMERGENCY) else "Intake"
            if heading != part:
                if part is not None:
                    out.append("")
                part = heading
                out += [f"### {heading}", "", "| rule | what carepanel does | policy words | proved by |",
                        "|---|---|---|---|"]
            words = f"“{r.source}”" if r.source else "(silent)"
            if r.note:
                words += f" — our reading: {r.note}"
            proved = "<br>".join(f"`{t}`" for t in tests.get((name, r.id), [])) or "—"
            out.append(f"| `{r.id}` | {_cell(r.text)} | {_cell(words)} | {proved} |")
        out.append("")
    return "\n".join(out)


def default_tests_dir() -> Path | None:
    here = Path(__file__).resolve().parents[1] / "tests" / "rules"
    return here if here.is_dir() else None
