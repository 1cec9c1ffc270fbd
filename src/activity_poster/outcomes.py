"""Every attempt to deliver an activity ends in exactly one of these values, one meaning each.

What happens next for each type (retry now, retry later, dead-letter, HTTP status) is decided
in one place: `policy.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Delivered:
    """LeadSquared confirmed the activity; `activity_id` is its id."""

    activity_id: str | None
    lead_score: Any = None


@dataclass(frozen=True, slots=True)
class AlreadyDelivered:
    """Delivered by an earlier invocation (same idempotency key): not posted again."""

    activity_id: str | None
    lead_score: Any = None


@dataclass(frozen=True, slots=True)
class Invalid:
    """Our own validation refused the input; `errors` name the fields ({field, message})."""

    errors: tuple[dict[str, str], ...]
    # Errors left out of `errors`, which holds the first few only.
    more: int = 0

    @property
    def summary(self) -> str:
        text = "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)
        return f"{text}; and {self.more} more" if self.more else text


@dataclass(frozen=True, slots=True)
class Rejected:
    """LeadSquared refused the activity (an MX...Exception): the same call would fail again."""

    error_type: str
    message: str
    http_status: int | None = None


@dataclass(frozen=True, slots=True)
class Throttled:
    """LeadSquared's rate limit was hit; the same call may succeed after the window."""

    message: str
    http_status: int | None = None


@dataclass(frozen=True, slots=True)
class Unavailable:
    """LeadSquared answered, but with a failure of its own (5xx, not JSON, unexpected)."""

    reason: str
    http_status: int | None = None


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The request never reached LeadSquared (no connection): nothing can exist."""

    reason: str


@dataclass(frozen=True, slots=True)
class TimedOut:
    """The request was sent and no answer came in time: the activity may exist."""

    reason: str


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """The connection failed after the request was sent: the activity may exist."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unaccounted:
    """A bulk answer did not account for this row: it may or may not have been created."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unauthorized:
    """LeadSquared refused the access keys (401): configuration, not the activity's fault."""

    message: str
    http_status: int | None = 401


@dataclass(frozen=True, slots=True)
class NotTried:
    """No call was made: the invocation had too little time left for one."""

    reason: str = "not enough time left in this invocation for another call"


@dataclass(frozen=True, slots=True)
class InProgress:
    """Another invocation is posting the same activity (same idempotency key) right now."""

    reason: str = "the same activity is being posted by another invocation right now"


Outcome = (
    Delivered
    | AlreadyDelivered
    | Invalid
    | Rejected
    | Throttled
    | Unavailable
    | Unreachable
    | TimedOut
    | ConnectionLost
    | Unaccounted
    | Unauthorized
    | NotTried
    | InProgress
)
# The call's own answers, worth another attempt within the invocation (policy.py says when).
Retryable = Throttled | Unavailable | Unreachable | TimedOut | ConnectionLost | Unauthorized


def outcome_name(outcome: Outcome) -> str:
    """The type as a word for logs: `TimedOut` -> `timed_out`."""
    name = type(outcome).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
