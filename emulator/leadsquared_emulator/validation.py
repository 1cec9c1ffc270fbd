"""Validation of activity payloads, in the order a strict server would reject them."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .config import EmulatorConfig
from .errors import MANDATORY_MISSING, UNKNOWN_ATTRIBUTE, MXError, invalid_parameter, mandatory
from .schema import ActivityTypeSpec, check_fields, find_type

_DATETIME_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class ActivityInput:
    """A validated activity; exactly one of lead_id / email identifies the lead."""

    activity_event: int
    lead_id: str | None
    email: str | None
    note: str | None
    activity_datetime: str | None
    fields: tuple[tuple[str, str], ...]
    first_name: str | None
    last_name: str | None
    phone: str | None
    include_lead_score: bool


def parse_activity(
    body: Mapping[str, Any], config: EmulatorConfig, *, allow_email: bool
) -> ActivityInput:
    """Validate one activity object; raises MXError for the first problem found.

    When both RelatedProspectId and EmailAddress are sent, the id wins and the email is not
    used (the real behaviour is undocumented).
    """
    if body.get("ActivityEvent") is None:
        raise mandatory("ActivityEvent")

    lead_id = _optional_string(body, "RelatedProspectId")
    email = _optional_string(body, "EmailAddress") if allow_email else None
    lead_id = lead_id.strip() if lead_id else None
    email = email.strip() if email else None
    if not lead_id and not email:
        if allow_email:
            raise MXError(MANDATORY_MISSING, "'RelatedProspectId' or 'EmailAddress' is mandatory")
        raise mandatory("RelatedProspectId")
    if lead_id:
        email = None
    elif email is not None and not _EMAIL_SHAPE.match(email):
        raise invalid_parameter("EmailAddress")

    event = body["ActivityEvent"]
    if isinstance(event, bool) or not isinstance(event, int) or event <= 0:
        raise invalid_parameter("ActivityEvent")
    if config.activity_events is not None and event not in config.activity_events:
        raise invalid_parameter("ActivityEvent")
    declared = _declared_type(event, config)

    when = _optional_string(body, "ActivityDateTime")
    if when is not None:
        _check_datetime(when, config)

    note = _optional_string(body, "ActivityNote")
    limit = config.max_note_length
    if note is not None and limit is not None and len(note) > limit:
        raise invalid_parameter("ActivityNote")

    fields = _parse_fields(body.get("Fields"))
    if declared is not None:
        skip_options = body.get("ValidateDropDownOptions") is True
        check_fields(declared, fields, skip_options=skip_options)
    else:
        for name, _ in fields:
            if name not in config.field_schema_names:
                raise MXError(UNKNOWN_ATTRIBUTE, f"Unknown attribute '{name}'")

    first_name = _optional_string(body, "FirstName")
    last_name = _optional_string(body, "LastName")
    phone = _optional_string(body, "Phone")
    _optional_string(body, "ActivityOwnerEmail")

    return ActivityInput(
        activity_event=event,
        lead_id=lead_id,
        email=email,
        note=note,
        activity_datetime=when,
        fields=fields,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        include_lead_score=body.get("IncludeLeadScore") is True,
    )


def _optional_string(body: Mapping[str, Any], name: str) -> str | None:
    """A string attribute that may be absent or null; any other type is invalid input."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_parameter(name)
    return value


def _check_datetime(value: str, config: EmulatorConfig) -> None:
    """Strict `YYYY-MM-DD HH:MM:SS` naming a real instant (UTC)."""
    if not _DATETIME_SHAPE.match(value):
        raise invalid_parameter("ActivityDateTime")
    try:
        parsed = datetime.strptime(value, _DATETIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise invalid_parameter("ActivityDateTime") from None
    if config.reject_future_activity_time and parsed > datetime.now(UTC):
        raise invalid_parameter("ActivityDateTime")


def _declared_type(event: int, config: EmulatorConfig) -> ActivityTypeSpec | None:
    """The tenant's type with this code, when types are checked; None for a code taken as a
    free-text type (or when nothing is checked). An undeclared code may be refused."""
    if not config.schema_checks:
        return None
    declared = find_type(config.activity_types, event)
    if declared is None and not config.accept_undeclared_events:
        raise invalid_parameter("ActivityEvent")
    return declared


def _parse_fields(raw: Any) -> tuple[tuple[str, str], ...]:
    """`[{SchemaName, Value}]` with string values."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise invalid_parameter("Fields")
    parsed: list[tuple[str, str]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise invalid_parameter("Fields")
        name = item.get("SchemaName")
        value = item.get("Value")
        if not isinstance(name, str) or not name or not isinstance(value, str):
            raise invalid_parameter("Fields")
        parsed.append((name, value))
    return tuple(parsed)
