"""The account's activity types, read from ActivityTypes.Get, and the refusals they predict.

An activity LeadSquared would refuse for its type's schema is refused before it spends a
call. What cannot be read is not checked; where LeadSquared's rule is unknown the check leans
the same way, as a wasted call costs less than a good activity dead-lettered:
- only custom fields (`mx_...`) marked mandatory are required (LeadSquared fills system fields
  itself), and Status and Owner are taken on every type;
- names, options and booleans match in any case, an option by its Text or Value; options are not
  checked when the activity sets `ValidateDropDownOptions: true` (LeadSquared skips them then);
- a blank value is no value; spaces around a value are ignored; a length counts characters;
- a number: sign, digits (commas between them allowed), fraction, exponent; a date-time:
  YYYY-MM-DD HH:MM:SS (a Date also YYYY-MM-DD); a boolean: true, false, yes, no, 1 or 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from activity_poster.models.validation import FieldError
from activity_poster.models.values import clip

ACTIVITY_TYPES_PATH = "/v2/ProspectActivity.svc/ActivityTypes.Get"
Request = Callable[[str, str, Any], tuple[int, bytes] | None]  # (method, path, body) -> answer

SYSTEM_FIELDS = frozenset({"status", "owner"})  # taken on every type, listed or not
_MAX_LENGTH_KEYS = ("MaxFieldLength", "MaxLength")
_OPTIONS_SHOWN = 5
_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_DATETIME = (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII), "%Y-%m-%d %H:%M:%S")
_DATE = (re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII), "%Y-%m-%d")
_BOOLEANS = frozenset({"true", "false", "yes", "no", "1", "0"})


class Kind(Enum):
    """What a field's value must be, as a refusal says it."""

    TEXT = "text"  # also every data type not known here: only the length is checked
    NUMBER = "a number"
    DATE = "a date YYYY-MM-DD"
    DATETIME = "a date-time YYYY-MM-DD HH:MM:SS"
    BOOLEAN = "true or false"
    DROPDOWN = "one of its options"


_KINDS = {
    **dict.fromkeys(("number", "decimal", "integer", "int", "float", "double"), Kind.NUMBER),
    **dict.fromkeys(("boolean", "bool", "checkbox"), Kind.BOOLEAN),
    **dict.fromkeys(("dropdown", "select", "optionset", "picklist"), Kind.DROPDOWN),
    "date": Kind.DATE,
    "datetime": Kind.DATETIME,
}
# Whether a value (stripped, not blank) is of its kind.
_VALID: dict[Kind, Callable[[str], bool]] = {
    Kind.NUMBER: lambda text: _NUMBER.fullmatch(text) is not None,
    Kind.DATETIME: lambda text: _parses(text, *_DATETIME),
    Kind.DATE: lambda text: _parses(text, *_DATETIME) or _parses(text, *_DATE),
    Kind.BOOLEAN: lambda text: text.lower() in _BOOLEANS,
}


@dataclass(frozen=True, slots=True)
class SchemaField:
    schema_name: str
    display_name: str
    kind: Kind
    mandatory: bool = False
    options: tuple[str, ...] = ()  # as a refusal lists them
    accepted: frozenset[str] = frozenset()  # every option's Text and Value, lower-cased
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class ActivityType:
    event: int
    fields: Mapping[str, SchemaField]  # by lower-cased SchemaName
    complete: bool  # every field was read: a name not among them is not the type's


@dataclass(frozen=True, slots=True)
class AccountSchema:
    types: Mapping[int, ActivityType]
    complete: bool  # every type was read: a code not among them is not the account's


def fetch_schema(request: Request) -> AccountSchema | None:
    """The account's schema, read with one call; None when it cannot be read."""
    answer = request("GET", ACTIVITY_TYPES_PATH, None)
    if answer is None or answer[0] != 200:
        return None
    return parse_activity_types(_json(answer[1]))


def parse_activity_types(document: Any) -> AccountSchema | None:
    """The schema in an ActivityTypes.Get answer; None unless it is a list of types."""
    if not isinstance(document, list) or not document:
        return None  # every account has types: an empty list proves nothing
    types: dict[int, ActivityType] = {}
    complete = True
    for item in document:
        event = _positive_int(item.get("ActivityEvent")) if isinstance(item, dict) else None
        if event is None:
            complete = False  # a type without a readable code: no code is proven foreign
        elif event in types:  # listed twice: which listing holds is unknown
            types[event] = ActivityType(event, {}, complete=False)
        else:
            types[event] = _activity_type(event, item)
    return AccountSchema(types, complete)


def refusals(schema: AccountSchema, activity: Mapping[str, Any]) -> list[FieldError]:
    """What LeadSquared would refuse in `activity` (a Create body) for its type's schema."""
    event = _positive_int(activity.get("ActivityEvent"))
    activity_type = schema.types.get(event) if event is not None else None
    if activity_type is None:
        if event is None or not schema.complete:
            return []
        return [FieldError("ActivityEvent", f"{event} is not an activity type of this account")]
    skip_options = activity.get("ValidateDropDownOptions") is True
    errors: list[FieldError] = []
    given: set[str] = set()
    fields = activity.get("Fields")
    for index, item in enumerate(fields if isinstance(fields, list) else []):
        name = item.get("SchemaName") if isinstance(item, Mapping) else None
        if not isinstance(name, str):
            continue
        value = item.get("Value")
        field = activity_type.fields.get(name.lower())
        if field is None:
            if activity_type.complete and name.lower() not in SYSTEM_FIELDS:
                message = f"{clip(name)} is not a field of activity type {event}"
                errors.append(FieldError(f"Fields.{index}.SchemaName", message))
            continue
        if value is not None and str(value).strip():
            given.add(name.lower())
        problem = _value_problem(field, value, skip_options) if isinstance(value, str) else None
        if problem:
            errors.append(FieldError(f"Fields.{index}.Value", problem))
    for key, field in activity_type.fields.items():
        if field.mandatory and key.startswith("mx_") and key not in given:
            name, display = clip(field.schema_name), clip(field.display_name)
            named = f"{name} ({display})" if display and display != name else name
            errors.append(FieldError("Fields", f"{named} is mandatory for activity type {event}"))
    return errors


def _value_problem(field: SchemaField, value: str, skip_options: bool) -> str | None:
    name = clip(field.schema_name)
    if field.max_length is not None and len(value) > field.max_length:
        return f"is {len(value)} characters, longer than {name} allows ({field.max_length})"
    text = value.strip()
    if not text:
        return None
    if field.kind is Kind.DROPDOWN and not (skip_options or text.lower() in field.accepted):
        listed = ", ".join(clip(option) for option in field.options[:_OPTIONS_SHOWN])
        more = len(field.options) - _OPTIONS_SHOWN
        listed += f" and {more} more" if more > 0 else ""
        return f'"{clip(value)}" is not an option of {name} ({listed})'
    if _VALID.get(field.kind, bool)(text):  # text, and a dropdown's option: any (non-blank)
        return None
    return f'"{clip(value)}" is not {field.kind.value} ({name})'


def _activity_type(event: int, item: dict[str, Any]) -> ActivityType:
    properties = item.get("ActivityProperties")
    properties = _json(properties) if isinstance(properties, str) else properties
    form = properties.get("FormMetaData") if isinstance(properties, dict) else None
    if not isinstance(form, list):
        return ActivityType(event, {}, complete=False)
    fields: dict[str, SchemaField] = {}
    complete = True
    for entry in form:
        field = _field(entry) if isinstance(entry, dict) else None
        if field is None:
            complete = False  # the field not read may be the one an activity names
            continue
        key = field.schema_name.lower()
        # Listed twice: the name is the type's, its value is not checked.
        fields[key] = SchemaField(field.schema_name, "", Kind.TEXT) if key in fields else field
    return ActivityType(event, fields, complete)


def _field(entry: dict[str, Any]) -> SchemaField | None:
    name, display = entry.get("SchemaName"), entry.get("DisplayName")
    if not isinstance(name, str) or not name.strip():
        return None
    kind = _KINDS.get(str(entry.get("DataType") or "").strip().lower(), Kind.TEXT)
    options = _options(entry.get("OptionSet")) if kind is Kind.DROPDOWN else None
    if kind is Kind.DROPDOWN and not options:
        kind = Kind.TEXT  # the options are not known: the value is not checked
    shown, accepted = options or ((), frozenset())
    lengths = [_positive_int(entry.get(key)) for key in _MAX_LENGTH_KEYS]
    return SchemaField(
        name.strip(),
        display.strip() if isinstance(display, str) else "",
        kind,
        mandatory=str(entry.get("IsMandatory")).strip().lower() in {"true", "1", "yes"},
        options=shown,
        accepted=accepted,
        max_length=next((length for length in lengths if length), None),
    )


def _options(raw: Any) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The options as listed, and every Text and Value lower-cased; None unless all read."""
    raw = _json(raw) if isinstance(raw, str) else raw
    listed = [_option_texts(option) for option in raw] if isinstance(raw, list) else []
    if not listed or not all(listed):
        return None
    accepted = frozenset(text.strip().lower() for texts in listed for text in texts)
    return tuple(texts[0] for texts in listed), accepted


def _option_texts(option: Any) -> list[str]:
    """An option's Value and Text, whichever it has (a bare string is both)."""
    option = {"Value": option} if isinstance(option, str) else option
    if not isinstance(option, dict):
        return []
    texts = (option.get("Value"), option.get("Text"))
    return [str(t) for t in texts if isinstance(t, str | int | float) and not isinstance(t, bool)]


def _positive_int(value: Any) -> int | None:
    """An integer above zero, or the digits of one; else None."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _parses(text: str, shape: re.Pattern[str], form: str) -> bool:
    """Whether `text` has the shape and names a real day (and time)."""
    try:
        return shape.fullmatch(text) is not None and bool(datetime.strptime(text, form))
    except ValueError:
        return False


def _json(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
