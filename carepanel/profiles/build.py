"""A profile's tables, checked by the model in ``schema.py``, built into the frozen values of
``model.py`` that the rules read.

The model checks each key alone (its type, its allowed values, no unknown keys); what needs two
keys together (a panel must end after it starts, a fortnightly one needs a date to count from) is
checked here, with the same kind of message naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .model import (DECISION_SOURCE_KEYS, WEEKDAYS, Advice, Deadline, DecisionDeadline, DecisionRules,
                    EmergencyAuthority, EmergencyRules, Exclusion, FormSpec, PanelRules, Profile, RetrospectiveWindow,
                    RuleNote, SignoffRequirement, Threshold)
from .schema import (CutoffModel, DecisionDeadlineModel, EmergencyModel, FormModel, PanelModel, PapersOutModel,
                     ProfileModel, validate_profile)


def build_profile(data: Mapping[str, Any]) -> Profile:
    """The frozen profile, from its tables checked by the profile model (pydantic, which names
    the key and the values allowed)."""
    m = validate_profile(data)
    return Profile(
        name=m.name,
        title=m.title,
        council=m.council,
        panel=_panel(m.panel),
        cutoff=_deadline(m.cutoff, "cutoff"),
        papers_out=_deadline(m.papers_out, "papers_out"),
        signoff=_signoff(m),
        threshold=Threshold(**_plain(m.threshold)),
        excluded=_excluded(m),
        required_documents=tuple(m.documents.required),
        required_fields=tuple(m.fields.required),
        decisions=decision_rules(m.decisions),
        form=form_spec(m.form),
        advice=tuple(Advice(**_plain(a, tuples=True)) for a in m.advice),
        documents_source=RuleNote(m.documents.source, m.documents.note),
        fields_source=RuleNote(m.fields.source, m.fields.note),
        scope_source=RuleNote(m.scope.source, m.scope.note),
        emergency=emergency_rules(m.emergency),
    )


def form_spec(m: FormModel) -> FormSpec:
    return FormSpec(template=m.template, markers=tuple(m.markers), labels=dict(m.labels), options=dict(m.options))


def decision_rules(m: Any) -> DecisionRules:
    """``[decisions]``; its keys of before v2 (``draft_within_hours``, ``upload_by_weekday_after``,
    ``upload_within_hours``) still work, each as one deadline after those given."""
    upload_weekday = WEEKDAYS.index(m.upload_by_weekday_after) if m.upload_by_weekday_after is not None else None
    deadlines = [_decision_deadline(d) for d in m.deadlines]
    if m.draft_within_hours is not None:
        deadlines.append(DecisionDeadline("drafted", "panel", hours=m.draft_within_hours))
    if upload_weekday is not None:
        deadlines.append(DecisionDeadline("uploaded", "panel", weekday=upload_weekday))
    if m.upload_within_hours is not None:
        deadlines.append(DecisionDeadline("uploaded", "signed", hours=m.upload_within_hours))
    outcomes = tuple(m.outcomes)
    return DecisionRules(
        outcomes=outcomes,
        labels={o: m.labels.get(o, o.replace("_", " ").capitalize()) for o in outcomes},
        case_system=m.case_system,
        record_due=m.record_due,
        upload_within_hours=m.upload_within_hours if m.upload_within_hours is not None else 48,
        notify=tuple(m.notify),
        pre_proceedings_review_weeks=tuple(m.pre_proceedings_review_weeks),
        draft_within_hours=m.draft_within_hours,
        upload_by_weekday_after=upload_weekday,
        template=m.template,
        combinations=tuple(frozenset(c) for c in m.combinations),
        approving=tuple(o for o in m.approving if o in outcomes),
        deadlines=tuple(deadlines),
        sources=_beside(m, "source"),
        notes=_beside(m, "note"),
        signing_key=m.signing_key,
        signing_cert=m.signing_cert,
        signing_password_env=m.signing_password_env,
        timestamp_url=m.timestamp_url,
    )


def _beside(m: Any, kind: str) -> dict[str, str]:
    """The decision rules' ``KEY_source`` (or ``KEY_note``) texts, by rule name, where given."""
    texts = {key: getattr(m, f"{key}_{kind}") for key in DECISION_SOURCE_KEYS}
    return {key: text for key, text in texts.items() if text}


def _decision_deadline(m: DecisionDeadlineModel) -> DecisionDeadline:
    weekday = WEEKDAYS.index(m.weekday) if m.weekday is not None else None
    return DecisionDeadline(m.event, m.from_, hours=m.hours, weekday=weekday, source=m.source, note=m.note)


def emergency_rules(m: EmergencyModel) -> EmergencyRules:
    """``[emergency]``: who may decide outside panel, and how long after it may be recorded."""
    authorities = tuple(EmergencyAuthority(roles=tuple(a.roles), when=a.when, source=a.source, note=a.note,
                                           keywords=_lower(a.keywords)) for a in m.authority)
    windows = tuple(RetrospectiveWindow(max_days=w.max_days, keywords=_lower(w.keywords), source=w.source, note=w.note)
                    for w in m.window)
    return EmergencyRules(authorities=authorities, windows=windows,
                          high_cost_weekly=_float(m.high_cost_weekly), high_cost_total=_float(m.high_cost_total),
                          source=m.source, note=m.note)


def _lower(words: list[str]) -> tuple[str, ...]:
    return tuple(w.lower() for w in words)


def _float(value: float | None) -> float | None:
    return float(value) if value is not None else None


def _signoff(m: ProfileModel) -> tuple[SignoffRequirement, ...]:
    requirements = tuple(SignoffRequirement(**_plain(r, tuples=True)) for r in m.signoff.requires)
    for i, r in enumerate(requirements):
        for pattern in r.when_words:
            _check_pattern(pattern, f"signoff.requires[{i}].when_words")
    return requirements


def _excluded(m: ProfileModel) -> tuple[Exclusion, ...]:
    excluded = tuple(Exclusion(**_plain(e, tuples=True)) for e in m.scope.excluded)
    for i, e in enumerate(excluded):
        if not e.types and not e.keywords:
            raise ConfigError(f"scope.excluded[{i}]: an exclusion needs types or keywords")
    return excluded


def _check_pattern(pattern: str, where: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}: {pattern!r} is not a regular expression ({exc})") from None


def _plain(model: Any, tuples: bool = False) -> dict[str, Any]:
    """A validated model's values, lists as tuples (the frozen dataclasses hold tuples)."""
    out = dict(model)
    if tuples:
        out = {k: tuple(v) if isinstance(v, list) else v for k, v in out.items()}
    if "keywords" in out:
        out["keywords"] = _lower(out["keywords"])
    return out


def _panel(m: PanelModel) -> PanelRules:
    p = PanelRules(
        weekday=WEEKDAYS.index(m.weekday), starts=m.starts, ends=m.ends, frequency=m.frequency,
        anchor_date=m.anchor_date, cancelled=tuple(m.cancelled), slot_minutes=m.slot_minutes,
        complex_slot_minutes=m.complex_slot_minutes, complex_types=tuple(m.complex_types),
        complex_children=m.complex_children, source=m.source, note=m.note,
    )
    if p.ends <= p.starts:
        raise ConfigError("panel.ends: the sitting must end after it starts")
    if p.frequency == "fortnightly" and p.anchor_date is None:
        raise ConfigError("panel.anchor_date: a fortnightly panel needs the date of one sitting")
    if p.anchor_date is not None and p.anchor_date.weekday() != p.weekday:
        raise ConfigError(f"panel.anchor_date: {p.anchor_date} is not a {WEEKDAYS[p.weekday]}")
    return p


def _deadline(m: CutoffModel | PapersOutModel, where: str) -> Deadline:
    extra: dict[str, Any] = {"source": m.source, "note": m.note}
    if isinstance(m, CutoffModel):
        extra["late"] = m.late
    else:
        extra["min_hours_after_cutoff"] = float(m.min_hours_after_cutoff)
    if m.rule == "weekday_before":
        if m.weekday is None:
            raise ConfigError(f"{where}.weekday: required for rule = \"weekday_before\"")
        return Deadline(m.rule, m.time, weekday=WEEKDAYS.index(m.weekday), min_days_before=m.min_days_before, **extra)
    if m.days is None:
        raise ConfigError(f"{where}.days: required for rule = \"working_days_before\" (at least 1)")
    return Deadline(m.rule, m.time, days=m.days, **extra)
