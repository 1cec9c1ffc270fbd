"""Turn raw input into an Activity, or into errors that name each offending field.

The work one message can cause is bounded: a body over MAX_BODY_BYTES is refused unread, a
Fields list over MAX_FIELDS is one error rather than one per entry, and a refusal lists at
most MAX_ERRORS errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from activity_poster.models.activity import MAX_FIELDS, Activity, lead_identity_violations
from activity_poster.models.values import JsonNumber, clip

# An activity is a few KB and LeadSquared's own request limits are far smaller: this bounds
# the memory and CPU one message can take.
MAX_BODY_BYTES = 256 * 1024
# A refusal lists this many errors and counts the rest.
MAX_ERRORS = 20

_MESSAGES = {
    "extra_forbidden": "unknown field (check the spelling; unknown fields are never dropped)",
    "missing": "is required",
}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class InvalidActivity(Exception):
    """The input breaks the contract: `errors` names the offending fields, the first
    MAX_ERRORS of them, and `more` counts the errors left out."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors[:MAX_ERRORS]
        self.more = max(0, len(errors) - MAX_ERRORS)
        text = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(f"{text} ... and {self.more} more" if self.more else text)


class BodyTooLarge(InvalidActivity):
    """The body is over MAX_BODY_BYTES, and was refused without being read."""

    def __init__(self) -> None:
        super().__init__([FieldError("(body)", f"is larger than {MAX_BODY_BYTES} bytes")])


def decode_json(text: Any) -> Any:
    """Decode a message or request body; anything that is not JSON is an InvalidActivity.

    A number with a fraction or an exponent decodes to a JsonNumber holding its text.
    """
    if text is not None and not isinstance(text, str | bytes):
        raise InvalidActivity([FieldError("(body)", "must be JSON text")])
    if text is not None and _too_large(text):
        raise BodyTooLarge()
    if text is None or not text.strip():
        raise InvalidActivity([FieldError("(body)", "is empty")])
    try:
        # NaN and Infinity (which Python's json reads) are kept as text too: the field that
        # holds one is then refused by name, as not a finite number or not a number at all.
        return json.loads(text, parse_float=JsonNumber, parse_constant=JsonNumber)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidActivity([FieldError("(body)", f"is not valid JSON ({error})")]) from None
    except RecursionError:
        raise InvalidActivity([FieldError("(body)", "is nested too deeply")]) from None


def _too_large(text: str | bytes) -> bool:
    """Whether the body is over MAX_BODY_BYTES in UTF-8; a text is encoded only when its
    length alone (one to four bytes a character) does not settle it."""
    if len(text) > MAX_BODY_BYTES:
        return True
    if isinstance(text, str) and len(text) * 4 > MAX_BODY_BYTES:
        return len(text.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES
    return False


def parse_activity(data: Any) -> Activity:
    if not isinstance(data, dict):
        raise InvalidActivity([FieldError("(body)", "must be a JSON object")])
    # Found on the raw keys, then left out so that the model checks the rest and one answer
    # still lists every problem: a key that is not valid text (pydantic cannot even name it),
    # and a Fields list too long to check entry by entry.
    early: list[FieldError] = []
    if not _is_text("".join(data)):  # the usual case, checked in one go
        early += [
            FieldError(
                clip(key.encode("utf-8", "backslashreplace").decode()),
                _MESSAGES["extra_forbidden"],
            )
            for key in data
            if not _is_text(key)
        ]
        data = {key: value for key, value in data.items() if _is_text(key)}
    fields = data.get("Fields")
    if isinstance(fields, list) and len(fields) > MAX_FIELDS:
        early.append(FieldError("Fields", f"at most {MAX_FIELDS} entries"))
        data = {key: value for key, value in data.items() if key != "Fields"}
    try:
        activity = Activity.model_validate(data)
    except ValidationError as error:
        errors = early + _field_errors(error)
        # The model checks how the lead is named only once every field is valid; check the raw
        # keys too, so that one answer lists every problem.
        lead = [FieldError(field, message) for field, message in lead_identity_violations(data)]
        errors += [e for e in lead if e not in errors]
        raise InvalidActivity(errors) from None
    if early:
        raise InvalidActivity(early)
    return activity


def _is_text(key: str) -> bool:
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _field_errors(error: ValidationError) -> list[FieldError]:
    errors = []
    # include_input=False: inputs may hold personal data and must not reach logs.
    for item in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in item["loc"])
        if not location:
            location = str((item.get("ctx") or {}).get("field", "(body)"))
        message = _MESSAGES.get(item["type"], item["msg"])
        errors.append(FieldError(clip(location), message.removeprefix("Value error, ")))
    return errors
