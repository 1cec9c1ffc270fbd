"""An activity on a lead, in LeadSquared's own field names, normalised for posting.

Rules enforced here (each has a test): exactly one way to name the lead, a positive
ActivityEvent, UTC date-times, unique non-empty field names with string values, and no
unknown key, so that a typo is an error rather than a silently dropped value.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# LeadSquared's own format, YYYY-MM-DD HH:MM:SS in UTC (ASCII digits only).
_LEADSQUARED_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", re.ASCII)
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Deliberately loose: LeadSquared is the authority on addresses; this only catches values
# that cannot be an address at all (a name in the wrong field, a missing @).
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

NEW_LEAD_FIELDS = ("FirstName", "LastName", "Phone")
NEW_LEAD_FIELDS_MESSAGE = "only used with EmailAddress, to create the lead when none has that email"
ONE_LEAD_MESSAGE = (
    "name the lead with exactly one of RelatedProspectId (or LeadId) and EmailAddress"
)

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _positive_int(value: Any) -> int:
    """A positive integer, or a string of digits; booleans and floats are refused."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "must be a positive integer, not a boolean")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise PydanticCustomError("int_type", "must be a positive integer or a numeric string")
    if value <= 0:
        raise PydanticCustomError("greater_than", "must be a positive integer")
    return value


def _field_value(value: Any) -> str:
    """LeadSquared takes every field value as a string; numbers and booleans are converted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    raise PydanticCustomError("value_type", "must be a string, a number or a boolean")


def to_leadsquared_datetime(value: str) -> str:
    """Return `value` as UTC `YYYY-MM-DD HH:MM:SS`; refuse impossible and ambiguous times."""
    if _LEADSQUARED_DATETIME_RE.match(value):
        try:
            datetime.fromisoformat(value)  # the same check as strptime, in a fraction of it
        except ValueError:
            raise PydanticCustomError("datetime", "is not a real date and time") from None
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            "datetime",
            "must be 'YYYY-MM-DD HH:MM:SS' (UTC) or ISO 8601 with an offset, such as "
            "2025-06-03T09:41:07Z",
        ) from None
    if parsed.tzinfo is None:
        raise PydanticCustomError(
            "datetime",
            "ISO 8601 time without an offset is ambiguous: add Z or an offset such as +05:30",
        )
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime", "is out of range once converted to UTC") from None
    # Formatted by hand: strftime("%Y") does not pad years before 1000 on every platform.
    return f"{utc.year:04d}-{utc:%m-%d %H:%M:%S}"


PositiveInt = Annotated[int, BeforeValidator(_positive_int)]
FieldValue = Annotated[str, BeforeValidator(_field_value)]


class ActivityField(BaseModel):
    """One custom or system field of the activity, such as mx_Custom_1 or Status."""

    model_config = _STRICT

    SchemaName: str = Field(min_length=1)
    Value: FieldValue


class Activity(BaseModel):
    model_config = _STRICT

    RelatedProspectId: str | None = Field(
        default=None, validation_alias=AliasChoices("RelatedProspectId", "LeadId")
    )
    EmailAddress: str | None = None
    FirstName: str | None = None
    LastName: str | None = None
    Phone: str | None = None
    ActivityEvent: PositiveInt
    ActivityNote: str | None = None
    ActivityDateTime: str | None = None
    Fields: list[ActivityField] | None = None
    ProcessFilesAsync: StrictBool | None = None
    ValidateDropDownOptions: StrictBool | None = None
    IncludeLeadScore: StrictBool | None = None
    # Ours, not LeadSquared's: names the activity for deduplication; never posted.
    IdempotencyKey: str | None = Field(default=None, min_length=1, max_length=256)

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

    @field_validator("EmailAddress")
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
                        {"name": item.SchemaName},
                    )
                seen.add(item.SchemaName)
        return fields

    @model_validator(mode="after")
    def _exactly_one_lead(self) -> Self:
        if (self.RelatedProspectId is None) == (self.EmailAddress is None):
            raise PydanticCustomError(
                "lead_identity",
                ONE_LEAD_MESSAGE,
                {"field": "RelatedProspectId"},
            )
        if self.RelatedProspectId is not None:
            extra = [n for n in NEW_LEAD_FIELDS if getattr(self, n) is not None]
            if extra:
                raise PydanticCustomError(
                    "lead_identity", NEW_LEAD_FIELDS_MESSAGE, {"field": extra[0]}
                )
        return self

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
