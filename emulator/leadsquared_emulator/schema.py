"""The tenant's activity types, their fields, and what Create refuses for them.

`ActivityTypes.Get` lists the types in the observed shape: `ActivityProperties` is a JSON
string holding `FormMetaData`, and a field's `OptionSet` a JSON string of `{Text, Value}`.
What the real API refuses for a type's schema is partly inferred (the emulator README lists
each rule and where it comes from):

- a field the type does not have: `MXUnknownAttributeException` (observed type); Status and
  Owner are taken on every type, listed or not;
- a custom (`mx_`) field marked mandatory left out or blank: `MXMandatoryAttributeMissingException`
  (documented type); system fields are filled by LeadSquared, mandatory or not;
- a dropdown value that is none of the options (unless `ValidateDropDownOptions: true`, which
  skips the options), a value longer than the field's `MaxFieldLength`, a value not of the
  field's data type: `MXInvalidInputException` (observed type, inferred messages).

Names and options match in any case, a blank value is no value, spaces around a value are
ignored; a number is a sign, digits (commas between them allowed), a fraction and an exponent;
a DateTime is `YYYY-MM-DD HH:MM:SS`, a Date that or `YYYY-MM-DD`; a Boolean true, false, yes,
no, 1 or 0. Data types are matched in any case; any other data type takes any text.
"""

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from .errors import INVALID_INPUT, UNKNOWN_ATTRIBUTE, MXError, mandatory

STRING: Final = "String"
NUMBER: Final = "Number"
DATE: Final = "Date"
DATETIME: Final = "DateTime"
BOOLEAN: Final = "Boolean"
DROPDOWN: Final = "Dropdown"

SYSTEM_FIELD_NAMES: Final = ("Status", "Owner")
_NUMBER_SHAPE = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_DATETIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "1", "0"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of an activity type; `options` are each option's Text and Value alike."""

    schema_name: str
    data_type: str = STRING
    mandatory: bool = False
    options: tuple[str, ...] = ()
    max_length: int | None = None
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class ActivityTypeSpec:
    """An activity type of the tenant: its code and fields (schema names unique in any case)."""

    event: int
    name: str
    fields: tuple[FieldSpec, ...] = ()
    score: int = 0
    direction: int = 0  # EventDirection: 0 inbound, 1 outbound (inferred)


def free_text_type(event: int, name: str, schema_names: Iterable[str]) -> ActivityTypeSpec:
    """A type whose fields all take any text, none mandatory."""
    return ActivityTypeSpec(event, name, tuple(FieldSpec(n) for n in schema_names))


WEBINAR_EVENT: Final = 212
# Far above the codes property tests draw activities from (up to 10**9), which the default
# tenant takes as free-text types: only activities meant for this type meet its rules.
ORDER_EVENT: Final = 2_000_000_001

DEFAULT_ACTIVITY_TYPES: Final = (
    free_text_type(
        WEBINAR_EVENT,
        "Webinar Attended",
        [f"mx_Custom_{n}" for n in range(1, 51)] + list(SYSTEM_FIELD_NAMES),
    ),
    # The other codes the sample events and the tests post.
    *(
        free_text_type(code, name, [f"mx_Custom_{n}" for n in range(1, 51)])
        for code, name in (
            (201, "Invoice Paid"),
            (205, "Call Completed"),
            (207, "Form Submitted"),
            (213, "Demo Booked"),
        )
    ),
    ActivityTypeSpec(
        ORDER_EVENT,
        "Order Placed",
        (
            FieldSpec("mx_Custom_1", STRING, True, max_length=20, display_name="Order Number"),
            FieldSpec("mx_Custom_2", DROPDOWN, options=("Gold", "Silver", "Bronze")),
            FieldSpec("mx_Custom_3", NUMBER, display_name="Amount"),
            FieldSpec("mx_Custom_4", DATETIME, display_name="Delivery Time"),
            FieldSpec("mx_Custom_5", STRING, max_length=200, display_name="Comments"),
            FieldSpec("mx_Custom_6", BOOLEAN, display_name="Gift"),
            FieldSpec("mx_Custom_7", DATE, display_name="Delivery Date"),
            # Mandatory, yet LeadSquared fills it: never refused as missing.
            FieldSpec("Status", DROPDOWN, True, options=("Placed", "Cancelled")),
            FieldSpec("Owner"),
        ),
        score=5,
    ),
)


def find_type(types: Iterable[ActivityTypeSpec], event: int) -> ActivityTypeSpec | None:
    return next((spec for spec in types if spec.event == event), None)


def check_fields(
    spec: ActivityTypeSpec, fields: Sequence[tuple[str, str]], *, skip_options: bool
) -> None:
    """Raise what the real API answers for the first schema problem of `fields`, if any."""
    by_name = {field.schema_name.lower(): field for field in spec.fields}
    system = {name.lower() for name in SYSTEM_FIELD_NAMES}
    for name, _ in fields:
        if name.lower() not in by_name and name.lower() not in system:
            raise MXError(UNKNOWN_ATTRIBUTE, f"Unknown attribute '{name}'")
    for name, value in fields:
        field = by_name.get(name.lower())
        if field is not None:
            _check_value(field, value, skip_options)
    given = {name.lower() for name, value in fields if value.strip()}
    for field in spec.fields:
        key = field.schema_name.lower()
        if field.mandatory and key.startswith("mx_") and key not in given:
            raise mandatory(field.schema_name)


def _check_value(field: FieldSpec, value: str, skip_options: bool) -> None:
    name = field.schema_name
    if field.max_length is not None and len(value) > field.max_length:
        raise MXError(
            INVALID_INPUT, f"Invalid Input! {name} is longer than {field.max_length} characters"
        )
    text = value.strip()
    data_type = field.data_type.lower()
    if not text:
        return
    if data_type == DROPDOWN.lower():
        options = {option.strip().lower() for option in field.options}
        if options and not skip_options and text.lower() not in options:
            raise MXError(INVALID_INPUT, f"Invalid Input! '{value}' is not an option of {name}")
        return
    if not _of_type(text, data_type):
        raise MXError(INVALID_INPUT, f"Invalid Input! '{value}' is not a valid {field.data_type}")


def _of_type(text: str, data_type: str) -> bool:
    """Whether a value (stripped, not blank) is of the data type (lower-cased)."""
    match data_type:
        case "number":
            return _NUMBER_SHAPE.fullmatch(text) is not None
        case "boolean":
            return text.lower() in _BOOLEAN_WORDS
        case "datetime":
            return _is_moment(text, _DATETIME_SHAPE, _DATETIME_FORMAT)
        case "date":
            return _is_moment(text, _DATETIME_SHAPE, _DATETIME_FORMAT) or _is_moment(
                text, _DATE_SHAPE, "%Y-%m-%d"
            )
        case _:
            return True


def _is_moment(text: str, shape: re.Pattern[str], form: str) -> bool:
    if shape.fullmatch(text) is None:
        return False
    try:
        datetime.strptime(text, form)
    except ValueError:
        return False
    return True


def activity_types_view(types: Iterable[ActivityTypeSpec]) -> list[dict[str, Any]]:
    """The `ActivityTypes.Get` answer (observed shape)."""
    return [
        {
            "ActivityEvent": spec.event,
            "ActivityEventName": spec.name,
            "DisplayName": spec.name,
            "Score": spec.score,
            "EventType": 2,  # custom (one client reads 2 so)
            "EventDirection": spec.direction,
            "ActivityProperties": json.dumps(
                {"FormMetaData": [_field_view(field) for field in spec.fields]}
            ),
        }
        for spec in types
    ]


def _field_view(field: FieldSpec) -> dict[str, Any]:
    view: dict[str, Any] = {
        "SchemaName": field.schema_name,
        "DisplayName": field.display_name or field.schema_name,
        "DataType": field.data_type,
        "IsMandatory": field.mandatory,
        "OptionSet": json.dumps([{"Text": o, "Value": o} for o in field.options])
        if field.options
        else None,
    }
    if field.max_length is not None:
        view["MaxFieldLength"] = field.max_length
    return view
