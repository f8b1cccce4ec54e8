"""The councils' panel profiles: each council's rules as data, never as code.

Every ``NAME.toml`` in this folder is a built-in profile (``load.py`` finds them); its tables are
checked by one pydantic model (``schema.py``, published as ``profile.schema.json``) and built
into the frozen values the rules read (``model.py``, by ``build.py``).  The service settings
that name a profile and override its tables are ``carepanel.config``.
"""

from __future__ import annotations

from .build import build_profile
from .load import (PROFILE_NAMES, builtin_directory, builtin_forms, forms_for, load_form_file, load_profile,
                   load_profile_data, profile_names)
from .model import (ALL_OUTCOMES, COMPARISONS, DECISION_BASES, DECISION_EVENTS, DECISION_SOURCE_KEYS, DEFAULT_PROFILE,
                    DIRECTORY_ROLES, EMERGENCY_WHEN, EVIDENCE_KINDS, LATE_POLICIES, MANAGER_ROLES, NOTIFY_ROLES,
                    PROFILE_SECTIONS, SENIORITY, SIGNOFF_ROLES, WEEKDAYS, Advice, Deadline, DecisionDeadline,
                    DecisionRules, EmergencyAuthority, EmergencyRules, Exclusion, FormSpec, PanelRules, Profile,
                    RetrospectiveWindow, RuleNote, SignoffRequirement, Threshold)
from .schema import ProfileModel, json_schema, validate_profile

__all__ = [
    "ALL_OUTCOMES", "COMPARISONS", "DECISION_BASES", "DECISION_EVENTS", "DECISION_SOURCE_KEYS", "DEFAULT_PROFILE",
    "DIRECTORY_ROLES", "EMERGENCY_WHEN", "EVIDENCE_KINDS", "LATE_POLICIES", "MANAGER_ROLES", "NOTIFY_ROLES",
    "PROFILE_NAMES", "PROFILE_SECTIONS", "SENIORITY", "SIGNOFF_ROLES", "WEEKDAYS",
    "Advice", "Deadline", "DecisionDeadline", "DecisionRules", "EmergencyAuthority", "EmergencyRules", "Exclusion",
    "FormSpec", "PanelRules", "Profile", "ProfileModel", "RetrospectiveWindow", "RuleNote", "SignoffRequirement",
    "Threshold",
    "build_profile", "builtin_directory", "builtin_forms", "forms_for", "json_schema", "load_form_file",
    "load_profile", "load_profile_data", "profile_names", "validate_profile",
]
