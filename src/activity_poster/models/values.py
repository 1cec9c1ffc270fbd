"""The value types of the input contract: numbers as sent, field values, UTC date-times."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError, PydanticKnownError

# LeadSquared's own format, YYYY-MM-DD HH:MM:SS in UTC (ASCII digits only).
_LEADSQUARED_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", re.ASCII)
# A field name echoed in an error is cut to this many characters: an error names a field, it
# does not repeat the input.
_NAME_LIMIT = 64


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
