"""An activity on a lead, in LeadSquared's own field names, normalised for posting.

Rules enforced here (each has a test): exactly one way to name the lead, a positive
ActivityEvent, UTC date-times, at most MAX_FIELDS unique non-empty field names with values
posted as the text they were sent as, and no unknown key, so that a typo is an error rather
than a silently dropped value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from activity_poster.models.values import (
    FieldValue,
    PositiveInt,
    Text,
    clip,
    to_leadsquared_datetime,
)

_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Deliberately loose: LeadSquared is the authority on addresses; this only catches values
# that cannot be an address at all (a name in the wrong field, a missing @). It is
# ^[^@\s]+@[^@\s]+\.[^@\s]+$ written so that a long value takes linear time, not quadratic:
# the lookahead checks the domain once, then any dot before its last character will do.
_EMAIL_RE = re.compile(r"^[^@\s]+@(?=[^@\s]+\Z)[^@\s]+\.[^@\s]")

NEW_LEAD_FIELDS = ("FirstName", "LastName", "Phone")
NEW_LEAD_FIELDS_MESSAGE = "only used with EmailAddress, to create the lead when none has that email"
ONE_LEAD_MESSAGE = (
    "name the lead with exactly one of RelatedProspectId (or LeadId) and EmailAddress "
    "(or, with LEAD_POLICY=existing, Phone alone)"
)
PHONE_ALONE_FIELDS = ("FirstName", "LastName")
PHONE_ALONE_MESSAGE = "only used with EmailAddress: a lead named by Phone alone must exist"

# An activity sets a handful of fields: the bound keeps one message's work small.
MAX_FIELDS = 200

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def lead_identity_violations(given: Mapping[str, Any]) -> list[tuple[str, str]]:
    """How the lead is named, checked over the given values (by field name or alias; None or
    absent when not given): exactly one of RelatedProspectId (or LeadId) and EmailAddress,
    and FirstName, LastName and Phone only with EmailAddress; or Phone alone (a lead that
    must exist: only LEAD_POLICY=existing posts it, after looking the lead up). The (field,
    message) pairs it breaks, in a set order; none when it holds."""

    def present(key: str) -> bool:
        return given.get(key) is not None

    by_id = present("RelatedProspectId") or present("LeadId")
    if not by_id and not present("EmailAddress") and present("Phone"):
        return [(name, PHONE_ALONE_MESSAGE) for name in PHONE_ALONE_FIELDS if present(name)]
    if by_id == present("EmailAddress"):
        return [("RelatedProspectId", ONE_LEAD_MESSAGE)]
    if by_id:
        return [(name, NEW_LEAD_FIELDS_MESSAGE) for name in NEW_LEAD_FIELDS if present(name)]
    return []


class ActivityField(BaseModel):
    """One custom or system field of the activity, such as mx_Custom_1 or Status."""

    model_config = _STRICT

    SchemaName: Text = Field(min_length=1)
    Value: FieldValue


class Activity(BaseModel):
    model_config = _STRICT

    RelatedProspectId: Text | None = Field(
        default=None, validation_alias=AliasChoices("RelatedProspectId", "LeadId")
    )
    EmailAddress: Text | None = None
    FirstName: Text | None = None
    LastName: Text | None = None
    Phone: Text | None = None
    ActivityEvent: PositiveInt
    ActivityNote: Text | None = None
    ActivityDateTime: Text | None = None
    Fields: list[ActivityField] | None = Field(default=None, max_length=MAX_FIELDS)
    ProcessFilesAsync: StrictBool | None = None
    ValidateDropDownOptions: StrictBool | None = None
    IncludeLeadScore: StrictBool | None = None
    # The activity's owner, by the user's email: documented for the bulk endpoints, which
    # take it per row; passed as given on Create.
    ActivityOwnerEmail: Text | None = None
    # Ours, not LeadSquared's: names the activity for deduplication; never posted.
    IdempotencyKey: Text | None = Field(default=None, min_length=1, max_length=256)

    @model_validator(mode="before")
    @classmethod
    def _one_lead_id_key(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.get("RelatedProspectId") is not None
            and data.get("LeadId") is not None
        ):
            raise PydanticCustomError(
                "lead_identity",
                "give the lead id once: RelatedProspectId or its alias LeadId, not both",
                {"field": "LeadId"},
            )
        return data

    @field_validator("RelatedProspectId")
    @classmethod
    def _guid(cls, value: str | None) -> str | None:
        if value is not None and not _GUID_RE.match(value):
            raise PydanticCustomError("guid", "must be a lead id (a GUID)")
        return value

    @field_validator("EmailAddress", "ActivityOwnerEmail")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL_RE.match(value):
            raise PydanticCustomError("email", "must be an email address")
        return value

    @field_validator("ActivityDateTime")
    @classmethod
    def _datetime(cls, value: str | None) -> str | None:
        return None if value is None else to_leadsquared_datetime(value)

    @field_validator("Fields")
    @classmethod
    def _unique_names(cls, fields: list[ActivityField] | None) -> list[ActivityField] | None:
        if fields:
            seen: set[str] = set()
            for item in fields:
                if item.SchemaName in seen:
                    raise PydanticCustomError(
                        "duplicate",
                        "SchemaName {name} appears more than once",
                        {"name": clip(item.SchemaName)},
                    )
                seen.add(item.SchemaName)
        return fields

    @model_validator(mode="after")
    def _exactly_one_lead(self) -> Self:
        # One error at a time here; parse_activity lists the rest from the raw keys.
        violations = lead_identity_violations(vars(self))
        if violations:
            field, message = violations[0]
            raise PydanticCustomError("lead_identity", message, {"field": field})
        return self

    @property
    def named_by_phone(self) -> bool:
        """The lead is named by Phone alone: it must be looked up (LEAD_POLICY=existing)."""
        return self.RelatedProspectId is None and self.EmailAddress is None

    def to_leadsquared(self) -> dict[str, Any]:
        """The request body for ProspectActivity.svc/Create: set fields only, canonical names."""
        return self.model_dump(exclude_none=True, exclude={"IdempotencyKey"})

    @property
    def bulk_eligible(self) -> bool:
        """Whether the bulk endpoint can take it: it names its lead by id, and asks for nothing
        the bulk endpoint does not document (a lead score, file or dropdown handling)."""
        return self.RelatedProspectId is not None and (
            self.IncludeLeadScore is None
            and self.ProcessFilesAsync is None
            and self.ValidateDropDownOptions is None
        )

    def fingerprint(self) -> str:
        """Names an activity sent without an idempotency key: a hash of what would be posted,
        so the same activity written two ways (say, two time zones) has one fingerprint."""
        canonical = json.dumps(self.to_leadsquared(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
