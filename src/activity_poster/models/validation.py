"""Turn raw input into an Activity, or into errors that name each offending field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from activity_poster.models.activity import (
    NEW_LEAD_FIELDS,
    NEW_LEAD_FIELDS_MESSAGE,
    ONE_LEAD_MESSAGE,
    Activity,
)

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
    """The input breaks the contract; `errors` names every offending field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


def decode_json(text: Any) -> Any:
    """Decode a message or request body; anything that is not JSON is an InvalidActivity."""
    if text is not None and not isinstance(text, str | bytes):
        raise InvalidActivity([FieldError("(body)", "must be JSON text")])
    if text is None or not text.strip():
        raise InvalidActivity([FieldError("(body)", "is empty")])
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidActivity([FieldError("(body)", f"is not valid JSON ({error})")]) from None
    except RecursionError:
        raise InvalidActivity([FieldError("(body)", "is nested too deeply")]) from None


def parse_activity(data: Any) -> Activity:
    if not isinstance(data, dict):
        raise InvalidActivity([FieldError("(body)", "must be a JSON object")])
    # pydantic cannot even name a key that is not valid text: name it readably, and check
    # the rest without it so that one answer still lists every problem.
    unreadable = (
        []
        if _is_text("".join(data))  # the usual case, checked in one go
        else [
            FieldError(
                key.encode("utf-8", "backslashreplace").decode(), _MESSAGES["extra_forbidden"]
            )
            for key in data
            if not _is_text(key)
        ]
    )
    if unreadable:
        data = {key: value for key, value in data.items() if _is_text(key)}
    try:
        activity = Activity.model_validate(data)
    except ValidationError as error:
        errors = unreadable + _field_errors(error)
        # The model checks how the lead is named only once every field is valid; check the raw
        # keys too, so that one answer lists every problem.
        errors += [e for e in _lead_identity_errors(data) if e not in errors]
        raise InvalidActivity(errors) from None
    if unreadable:
        raise InvalidActivity(unreadable)
    return activity


def _is_text(key: str) -> bool:
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _lead_identity_errors(data: dict[str, Any]) -> list[FieldError]:
    def given(key: str) -> bool:
        return data.get(key) is not None

    by_id = given("RelatedProspectId") or given("LeadId")
    if by_id == given("EmailAddress"):
        return [FieldError("RelatedProspectId", ONE_LEAD_MESSAGE)]
    if by_id:
        return [FieldError(n, NEW_LEAD_FIELDS_MESSAGE) for n in NEW_LEAD_FIELDS if given(n)]
    return []


def _field_errors(error: ValidationError) -> list[FieldError]:
    errors = []
    # include_input=False: inputs may hold personal data and must not reach logs.
    for item in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in item["loc"])
        if not location:
            location = str((item.get("ctx") or {}).get("field", "(body)"))
        message = _MESSAGES.get(item["type"], item["msg"])
        errors.append(FieldError(location, message.removeprefix("Value error, ")))
    return errors
