"""The input contract."""

from activity_poster.models.activity import MAX_FIELDS, Activity, ActivityField
from activity_poster.models.validation import (
    MAX_BODY_BYTES,
    MAX_ERRORS,
    BodyTooLarge,
    FieldError,
    InvalidActivity,
    decode_json,
    parse_activity,
)
from activity_poster.models.values import JsonNumber

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_ERRORS",
    "MAX_FIELDS",
    "Activity",
    "ActivityField",
    "BodyTooLarge",
    "FieldError",
    "InvalidActivity",
    "JsonNumber",
    "decode_json",
    "parse_activity",
]
