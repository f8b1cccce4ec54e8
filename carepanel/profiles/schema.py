"""The profile format, as pydantic models: what a council may write in its profile or config.

``build.build_profile`` validates a profile's tables here, every one of them, before it builds
the frozen values the rules use, so a mistake is reported with the key's full name and, for a
choice, the values allowed ("signoff.requires[1].role: 'boss' is not one of
assistant_team_manager, ...").  ``profile.schema.json`` beside the profiles is this model's JSON
Schema (kept current by a test; ``scripts/profile_schema.py`` writes it), for a council editing
its profile in an editor that completes and checks TOML against a schema.

What one table cannot say alone (a label for an outcome the profile does not have, a panel that
ends before it starts) is checked in ``build.py`` as the values are built.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo,
                      WithJsonSchema, create_model, model_validator)

from ..errors import ConfigError
from ..models import ATTACHMENT_ROLES, REQUEST_TYPES
from .model import (ALL_OUTCOMES, CASE_SYSTEMS, COMPARISONS, DECISION_BASES, DECISION_EVENTS, DECISION_SOURCE_KEYS,
                    DIRECTORY_ROLES, EMERGENCY_WHEN, EVIDENCE_KINDS, LATE_POLICIES, NOTIFY_ROLES, SIGNOFF_ROLES,
                    WEEKDAYS)

# The choices are the program's own tuples, so the model and the rules cannot drift apart.
Weekday = Literal[WEEKDAYS]  # type: ignore[valid-type]
RequestType = Literal[REQUEST_TYPES]  # type: ignore[valid-type]
Evidence = Literal[EVIDENCE_KINDS]  # type: ignore[valid-type]
SignoffRole = Literal[SIGNOFF_ROLES]  # type: ignore[valid-type]
DocumentRole = Literal[tuple(r for r in ATTACHMENT_ROLES if r != "request_form")]  # type: ignore[valid-type]
Outcome = Literal[ALL_OUTCOMES]  # type: ignore[valid-type]
NotifyRole = Literal[NOTIFY_ROLES]  # type: ignore[valid-type]
DirectoryRole = Literal[DIRECTORY_ROLES]  # type: ignore[valid-type]

M = TypeVar("M", bound=BaseModel)
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _clock(value: Any) -> Any:
    if isinstance(value, time):
        return value
    m = _CLOCK.fullmatch(str(value).strip()) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"{value!r} is not a time of day like 13:30")
    return time(int(m.group(1)), int(m.group(2)))


def _day(value: Any) -> Any:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2026-12-25") from None


Clock = Annotated[time, BeforeValidator(_clock), WithJsonSchema({"type": "string", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d$"})]
Day = Annotated[date, BeforeValidator(_day), WithJsonSchema({"type": "string", "format": "date"})]
Source = Annotated[str, Field(description="The policy's own words this rule comes from.")]
Note = Annotated[str, Field(description="Our reading, where the policy or the contract is silent.")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PanelModel(_Model):
    weekday: Weekday
    starts: Clock
    ends: Clock
    frequency: Literal["weekly", "fortnightly"]
    anchor_date: Day | None = None
    cancelled: list[Day] = []
    slot_minutes: Annotated[int, Field(ge=5, le=240)]
    complex_slot_minutes: Annotated[int, Field(ge=5, le=240)]
    complex_types: list[RequestType] = ["care_proceedings", "secure_accommodation", "external_placement"]
    complex_children: int = 3
    source: Source = ""
    note: Note = ""


class _Deadline(_Model):
    rule: Literal["weekday_before", "working_days_before"]
    time: Clock
    weekday: Weekday | None = None
    min_days_before: Annotated[int, Field(ge=1)] = 1
    days: Annotated[int, Field(ge=1)] | None = None
    source: Source = ""
    note: Note = ""


class CutoffModel(_Deadline):
    late: Literal[LATE_POLICIES] = Field(  # type: ignore[valid-type]
        "chair_may_accept", description="chair_may_accept: an administrator may accept a late request naming the "
        "chair or vice chair who agreed; refuse: held for the next panel.")


class PapersOutModel(_Deadline):
    min_hours_after_cutoff: Annotated[float, Field(ge=0)] = 2.0


class RequirementModel(_Model):
    role: SignoffRole
    evidence: Annotated[list[Evidence], Field(min_length=1)]
    also: list[SignoffRole] = Field([], description="Roles that also satisfy it (more senior managers always do).")
    when: list[RequestType] = []
    when_words: list[str] = []
    when_miles_over: float | None = None
    blocking: bool = True
    source: Source = ""
    note: Note = ""


class SignoffModel(_Model):
    requires: Annotated[list[RequirementModel], Field(min_length=1)]
    source: Source = ""
    note: Note = ""


class ThresholdModel(_Model):
    amount: float
    per: Literal["year", "request"]
    disabled_amount: float | None = None
    comparison: Literal[COMPARISONS] = "at_least"  # type: ignore[valid-type]
    source: Source = ""
    note: Note = ""


class ExclusionModel(_Model):
    what: str
    types: list[RequestType] = []
    keywords: list[str] = []
    disabled_only: bool = False
    below_total: float | None = None
    shorter_than_weeks: int | None = None
    unless_types: list[RequestType] = []
    unless_total_over: float | None = None
    unless_weeks_over: float | None = None
    unless_package: bool = False
    refer_to: str | None = None
    refer_to_disabled: str | None = None
    source: Source = ""
    note: Note = ""


class ScopeModel(_Model):
    excluded: list[ExclusionModel] = []
    source: Source = ""
    note: Note = ""


class AdviceModel(_Model):
    what: str
    message: str
    types: list[RequestType] = []
    keywords: list[str] = []
    age_at_least: int | None = None
    extra_papers: bool = False
    source: Source = ""
    note: Note = ""


class DocumentsModel(_Model):
    required: list[DocumentRole] = []
    source: Source = ""
    note: Note = ""


class FieldsModel(_Model):
    required: list[str] = []
    source: Source = ""
    note: Note = ""


class FormModel(_Model):
    """How to recognise the council's own form: ``markers`` (phrases printed on it) and
    ``labels`` (a label as printed -> a request field key)."""

    template: str | None = None
    markers: list[str] = []
    labels: dict[str, str] = {}
    options: dict[str, Any] = Field(default_factory=dict, description="What a form reader needs beyond labels (tick boxes, "
                                    "children's tables, guidance text to skip).")


class DecisionDeadlineModel(_Model):
    """``event`` is due ``hours`` after ``from``, or by the end of the first ``weekday`` after it."""

    event: Literal[DECISION_EVENTS]  # type: ignore[valid-type]
    from_: Literal[DECISION_BASES] = Field(alias="from")  # type: ignore[valid-type]
    hours: Annotated[int, Field(ge=1)] | None = None
    weekday: Weekday | None = None
    source: Source = ""
    note: Note = ""

    @model_validator(mode="after")
    def _hours_or_weekday(self) -> DecisionDeadlineModel:
        if (self.hours is None) == (self.weekday is None):
            raise ValueError("give hours or weekday (one of them)")
        return self


def _outcomes_of(info: ValidationInfo) -> tuple[str, ...] | None:
    """This profile's outcomes, where they were valid (else their own error is reported)."""
    outcomes = info.data.get("outcomes")
    return tuple(outcomes) if outcomes is not None else None


def _combination(value: list[str], info: ValidationInfo) -> list[str]:
    outcomes = _outcomes_of(info)
    if outcomes is not None and (len(value) < 2 or any(o not in outcomes for o in value)):
        raise ValueError(f"a list of two or more of this profile's outcomes ({', '.join(outcomes)})")
    return value


def _labels(value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
    outcomes = _outcomes_of(info)
    for key in value:
        if outcomes is not None and key not in outcomes:
            raise ValueError(f"{key!r} is not one of this profile's outcomes ({', '.join(outcomes)})")
    return value


def _cert_with_key(value: str | None, info: ValidationInfo) -> str | None:
    if value and not info.data.get("signing_key"):
        raise ValueError("give signing_key (the private key) too")
    return value


def _timestamp_url(value: str | None) -> str | None:
    if value is not None and not re.match(r"https?://", value):
        raise ValueError("an http(s) URL of an RFC 3161 timestamp server")
    return value


class _DecisionsFields(_Model):
    outcomes: list[Outcome]
    labels: Annotated[dict[str, str], AfterValidator(_labels)] = Field(
        default_factory=dict, description="An outcome -> its words on the decision sheet (else the outcome, capitalised).")
    case_system: Literal[CASE_SYSTEMS]  # type: ignore[valid-type]
    record_due: str = ""
    notify: list[NotifyRole] = ["social_worker", "team_manager"]
    pre_proceedings_review_weeks: list[int] = []
    template: str | None = Field(None, description="The council's own decision sheet (.docx with docxtpl fields).")
    combinations: list[Annotated[list[Outcome], AfterValidator(_combination)]] = Field(
        [], description="Outcomes that may be recorded together.")
    approving: list[Outcome] = Field(["approve", "alternative_approved"],
                                     description="Outcomes under which the costs named are approved spending.")
    deadlines: list[DecisionDeadlineModel] = []
    # The keys of before v2, each one deadline.
    upload_within_hours: int | None = None
    draft_within_hours: int | None = None
    upload_by_weekday_after: Weekday | None = None
    # The council's seal on signed decisions (outputs/seal.py).
    signing_key: str | None = None
    signing_cert: Annotated[str | None, AfterValidator(_cert_with_key)] = None
    signing_password_env: str | None = None
    timestamp_url: Annotated[str | None, AfterValidator(_timestamp_url),
                             WithJsonSchema({"type": "string", "pattern": "^https?://"})] = None


# ``KEY_source`` (the policy's words) and ``KEY_note`` (our reading) beside each decision rule.
DecisionsModel = create_model(  # type: ignore[call-overload]
    "DecisionsModel", __base__=_DecisionsFields,
    **{f"{key}_{kind}": (t, "") for key in DECISION_SOURCE_KEYS for kind, t in (("source", Source), ("note", Note))})


def _some_role(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("name at least one role")
    return value


class AuthorityModel(_Model):
    """One way an emergency decision outside panel is authorised: a person for each role."""

    roles: Annotated[list[DirectoryRole], AfterValidator(_some_role), Field(json_schema_extra={"minItems": 1})]
    when: Literal[EMERGENCY_WHEN] = "always"  # type: ignore[valid-type]
    keywords: list[str] = Field([], description="Applies only to a decision whose words name one of these.")
    source: Source = ""
    note: Note = ""


class WindowModel(_Model):
    """How long after a decision outside panel about what ``keywords`` name it may be recorded."""

    max_days: Annotated[int, Field(ge=0)]
    keywords: list[str] = []
    source: Source = ""
    note: Note = ""


class EmergencyModel(_Model):
    authority: list[AuthorityModel] = []
    window: list[WindowModel] = []
    high_cost_weekly: float | None = None
    high_cost_total: float | None = None
    source: Source = ""
    note: Note = ""


class ProfileModel(_Model):
    """A panel profile (carepanel/profiles/NAME.toml); a config.toml may override any table."""

    name: str
    title: str
    council: str
    panel: PanelModel
    cutoff: CutoffModel
    papers_out: PapersOutModel
    signoff: SignoffModel
    threshold: ThresholdModel
    scope: ScopeModel = ScopeModel()
    advice: list[AdviceModel] = []
    documents: DocumentsModel = DocumentsModel()
    fields: FieldsModel = FieldsModel()
    decisions: DecisionsModel  # type: ignore[valid-type]
    form: FormModel = FormModel()
    emergency: EmergencyModel = EmergencyModel()


def validate_profile(data: Any) -> ProfileModel:
    """The profile's tables checked, or a ConfigError naming the first key that is wrong."""
    return validated(ProfileModel, data)


def validated(model: type[M], data: Any, where: str = "") -> M:
    """``data`` checked against ``model``, or a ConfigError naming the first key that is wrong
    (under ``where``: ``form`` for a learned form's table)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_message(exc.errors()[0], where)) from None


def _where(loc: tuple[int | str, ...], where: str = "") -> str:
    out = where
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "lax-", "strict-")):
            out += f".{part}" if out else str(part)
    return out


# A value of the wrong kind, in the words the service settings use (``config/table.py``).
_EXPECTED = {"int_type": "a whole number", "float_type": "a number", "string_type": "a string", "bool_type":
             "true or false", "list_type": "a list", "dict_type": "a table", "model_type": "a table"}


def _message(err: Any, prefix: str = "") -> str:
    where, kind, value, ctx = _where(err["loc"], prefix), err["type"], err.get("input"), err.get("ctx", {})
    if kind == "extra_forbidden":
        return f"unknown key: {where}"
    if kind == "missing":
        return f"{where}: required key is missing"
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{where}: {value!r} is not one of {', '.join(allowed)}"
    if kind == "value_error":
        return f"{where}: {ctx['error']}"
    if kind == "greater_than_equal":
        return f"{where}: must be {ctx['ge']} or more" if ctx["ge"] == 0 else f"{where}: must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"{where}: must be at most {ctx['le']}"
    if kind in _EXPECTED:
        return f"{where}: expected {_EXPECTED[kind]}, got {value!r}"
    return f"{where}: {err['msg'].lower()}, got {value!r}"


def json_schema() -> dict[str, Any]:
    schema = ProfileModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://carepanel.example/profile.schema.json"
    return schema
