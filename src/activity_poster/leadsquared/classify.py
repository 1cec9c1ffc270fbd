"""One pure function that turns LeadSquared's answer (status, body) into an outcome."""

from __future__ import annotations

import json
from typing import Any

from activity_poster.outcomes import (
    Delivered,
    Misdirected,
    Outcome,
    Rejected,
    Throttled,
    Unauthorized,
    Unavailable,
)

RATE_LIMIT_EXCEPTION = "MXAPIRateLimitExceededException"
RATE_LIMIT_MESSAGE_PREFIX = "API calls exceeded the limit"
# LeadSquared does not document the key of the score returned for IncludeLeadScore.
_LEAD_SCORE_KEYS = ("LeadScore", "Score", "ProspectScore")
_MAX_MESSAGE = 500


def classify(status: int, body: bytes) -> Outcome:
    document = _json_object(body)
    error_type = str(document.get("ExceptionType") or "") if document else ""
    message = _text(document.get("ExceptionMessage")) if document else ""

    # Throttling first: it has been seen under 429, 403 and even 200.
    if is_throttle(error_type, message):
        return Throttled(message or "rate limit exceeded", http_status=status)
    if status == 401:
        return Unauthorized(message or "LeadSquared refused the access keys", http_status=status)
    if document is not None and 200 <= status < 300 and document.get("Status") == "Success":
        return _delivered(document)
    # Application errors (MX...Exception) are permanent whatever the status, 200 included.
    if error_type.startswith("MX"):
        return Rejected(error_type, message, http_status=status)
    # Any other 3xx or 4xx is not LeadSquared judging the activity: a wrong host or path, a
    # redirect. Never a reason to dead-letter it.
    if 300 <= status < 500:
        return Misdirected(f"HTTP {status} without an application error: {_snippet(body)}", status)
    if document is None:
        return Unavailable(f"HTTP {status} with a body that is not JSON", http_status=status)
    if status >= 500:
        return Unavailable(f"HTTP {status} without an application error", http_status=status)
    return Unavailable(
        f"unexpected answer: HTTP {status}, Status={document.get('Status')!r}", status
    )


def is_throttle(error_type: str, message: str) -> bool:
    """LeadSquared's rate-limit answer, by its exception type or its message."""
    return error_type == RATE_LIMIT_EXCEPTION or message.startswith(RATE_LIMIT_MESSAGE_PREFIX)


def _delivered(document: dict[str, Any]) -> Delivered:
    result = document.get("Message")
    if not isinstance(result, dict):
        return Delivered(activity_id=None)
    activity_id = result.get("Id")
    score = next((result[key] for key in _LEAD_SCORE_KEYS if key in result), None)
    return Delivered(activity_id=str(activity_id) if activity_id else None, lead_score=score)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _text(value: Any) -> str:
    return str(value)[:_MAX_MESSAGE] if value is not None else ""


def _snippet(body: bytes) -> str:
    return body[:200].decode("utf-8", "replace")
