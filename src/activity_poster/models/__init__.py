"""The input contract."""

from activity_poster.models.activity import Activity, ActivityField
from activity_poster.models.validation import (
    FieldError,
    InvalidActivity,
    decode_json,
    parse_activity,
)

__all__ = [
    "Activity",
    "ActivityField",
    "FieldError",
    "InvalidActivity",
    "decode_json",
    "parse_activity",
]
