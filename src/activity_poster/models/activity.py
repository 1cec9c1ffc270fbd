"""An activity on a lead, in LeadSquared's own field names, normalised for posting.

Rules enforced here (each has a test): exactly one way to name the lead, a positive
ActivityEvent, UTC date-times, at most MAX_FIELDS unique non-empty field names with values
posted as the text they were sent as, and no unknown key, so that a typo is an error rather
than a silently dropped value.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
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
from pydantic_core import PydanticCustomError, PydanticKnownError

# LeadSquared's own format, YYYY-MM-DD HH:MM:SS in UTC (ASCII digits only).
_LEADSQUARED_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", re.ASCII)
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Deliberately loose: LeadSquared is the authority on addresses; this only catches values
# that cannot be an address at all (a name in the wrong field, a missing @). It is
# ^[^@\s]+@[^@\s]+\.[^@\s]+$ written so that a long value takes linear time, not quadratic:
# the lookahead checks the domain once, then any dot before its last character will do.
_EMAIL_RE = re.compile(r"^[^@\s]+@(?=[^@\s]+\Z)[^@\s]+\.[^@\s]")

NEW_LEAD_FIELDS = ("FirstName", "LastName", "Phone")
NEW_LEAD_FIELDS_MESSAGE = "only used with EmailAddress, to create the lead when none has that email"
ONE_LEAD_MESSAGE = (
    "name the lead with exactly one of RelatedProspectId (or LeadId) and EmailAddress"
)

# An activity sets a handful of fields: the bound keeps one message's work small.
MAX_FIELDS = 200
# A field name echoed in an error is cut to this many characters: an error names a field, it
# does not repeat the input.
_NAME_LIMIT = 64

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class JsonNumber(str):
    """A JSON number with a fraction or an exponent, kept as the text it was sent as.

    LeadSquared takes field values as text, so `1E2` reaches it as "1E2", not "100.0". Being a
    str, json.dumps writes it back as a JSON string of the same text (no type makes the
    standard encoder write a number's original text), so a body that is decoded and
    serialised again, as the async mode does, still posts the same value. Only a field Value
    takes it; everywhere else it is refused as a float was.
    """

    __slots__ = ()


def clip(name: str) -> str:
    """A name as an error echoes it: at most _NAME_LIMIT characters."""
    return name if len(name) <= _NAME_LIMIT else name[: _NAME_LIMIT - 1] + "\u2026"


def lead_identity_violations(given: Mapping[str, Any]) -> list[tuple[str, str]]:
    """How the lead is named, checked over the given values (by field name or alias; None or
    absent when not given): exactly one of RelatedProspectId (or LeadId) and EmailAddress,
    and FirstName, LastName and Phone only with EmailAddress. The (field, message) pairs it
    breaks, in a set order; none when it holds."""

    def present(key: str) -> bool:
        return given.get(key) is not None

    by_id = present("RelatedProspectId") or present("LeadId")
    if by_id == present("EmailAddress"):
        return [("RelatedProspectId", ONE_LEAD_MESSAGE)]
    if by_id:
        return [(name, NEW_LEAD_FIELDS_MESSAGE) for name in NEW_LEAD_FIELDS if present(name)]
    return []


def _text(value: Any) -> Any:
    """A number is not text, even kept as its text: refused as pydantic refuses a float."""
    if isinstance(value, JsonNumber):
        raise PydanticKnownError("string_type")
    return value


def _positive_int(value: Any) -> int:
    """A positive integer, or a string of digits; booleans and floats are refused."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "must be a positive integer, not a boolean")
    if isinstance(value, JsonNumber):  # 12.0 and 1E2 are not integers as sent
        raise PydanticCustomError("int_type", "must be a positive integer or a numeric string")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise PydanticCustomError("int_type", "must be a positive integer or a numeric string")
    if value <= 0:
        raise PydanticCustomError("greater_than", "must be a positive integer")
    return value


def _field_value(value: Any) -> str:
    """LeadSquared takes every field value as a string; a number is posted as the text it was
    sent as (see JsonNumber), a boolean as true or false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, JsonNumber | float) and not math.isfinite(float(value)):
        raise PydanticCustomError("finite_number", "must be a finite number")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return str(value)  # a plain str, also for a JsonNumber
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
Text = Annotated[str, BeforeValidator(_text)]


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
