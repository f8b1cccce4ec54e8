"""The profile format, as pydantic models: what a council may write in its profile or config.

``config.build_profile`` validates a profile's tables here before it builds the frozen values
the rules use, so a mistake is reported with the key's full name and, for a choice, the values
allowed ("signoff.requires[1].role: 'boss' is not one of assistant_team_manager, ...").
``profile.schema.json`` beside the profiles is this model's JSON Schema (kept current by a
test), for a council editing its profile in an editor that completes and checks TOML against a
schema.

``[decisions]``, ``[emergency]`` and ``[form]`` are left as tables here: their keys are checked where they are
read (``config._decisions``, ``config._form``).
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from .config import COMPARISONS, EVIDENCE_KINDS, LATE_POLICIES, SIGNOFF_ROLES, WEEKDAYS
from .errors import ConfigError
from .models import ATTACHMENT_ROLES, REQUEST_TYPES

# The choices are the program's own tuples, so the model and the rules cannot drift apart.
Weekday = Literal[WEEKDAYS]  # type: ignore[valid-type]
RequestType = Literal[REQUEST_TYPES]  # type: ignore[valid-type]
Evidence = Literal[EVIDENCE_KINDS]  # type: ignore[valid-type]
SignoffRole = Literal[SIGNOFF_ROLES]  # type: ignore[valid-type]
DocumentRole = Literal[tuple(r for r in ATTACHMENT_ROLES if r != "request_form")]  # type: ignore[valid-type]

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
    decisions: dict[str, Any] = Field(default_factory=dict, description="Checked where it is read (config._decisions).")
    form: dict[str, Any] = Field(default_factory=dict, description="Checked where it is read (config._form).")
    emergency: dict[str, Any] = Field(default_factory=dict,
                                      description="Checked where it is read (config._emergency).")


def validate_profile(data: Any) -> ProfileModel:
    """The profile's tables checked, or a ConfigError naming the first key that is wrong."""
    try:
        return ProfileModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_message(exc.errors()[0])) from None


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "lax-", "strict-")):
            out += f".{part}" if out else str(part)
    return out


def _message(err: Any) -> str:
    where, kind, value = _where(err["loc"]), err["type"], err.get("input")
    if kind == "extra_forbidden":
        return f"unknown key: {where}"
    if kind == "missing":
        return f"{where}: required key is missing"
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
        return f"{where}: {value!r} is not one of {', '.join(allowed)}"
    if kind == "value_error":
        return f"{where}: {err['ctx']['error']}"
    return f"{where}: {err['msg'].lower()}, got {value!r}"


def json_schema() -> dict[str, Any]:
    schema = ProfileModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://carepanel.example/profile.schema.json"
    return schema
