"""Every attempt to deliver an activity ends in exactly one of these values, one meaning each.

What happens next after each type (retry now, retry later, dead-letter, HTTP status) is
decided in one place: `policy.py`. Types that share a shape share a base; a value is still
matched by its own type (dataclass equality compares the exact class).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class _Confirmed:
    activity_id: str | None
    lead_score: Any = None


@dataclass(frozen=True, slots=True)
class _Answered:
    message: str
    http_status: int | None = None


@dataclass(frozen=True, slots=True)
class _Failed:
    reason: str


class Delivered(_Confirmed):
    """LeadSquared confirmed the activity; `activity_id` is its id."""


class AlreadyDelivered(_Confirmed):
    """Delivered by an earlier invocation (same idempotency key): not posted again."""


@dataclass(frozen=True, slots=True)
class Invalid:
    """Our own validation refused the input; `errors` name the fields ({field, message})."""

    errors: tuple[dict[str, str], ...]
    more: int = 0  # errors left out of `errors`, which holds the first few only

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
class KeyReused:
    """The idempotency key was used before for a different activity: a conflict, never a
    replay (a caller's keys are its own, and it reused one)."""

    key: str


class Throttled(_Answered):
    """LeadSquared's rate limit was hit; the same call may succeed after the window."""


@dataclass(frozen=True, slots=True)
class OverDailyLimit:
    """The account's calls for the day are spent: nothing is sent until the daily reset."""

    seconds_to_reset: float


class Unauthorized(_Answered):
    """LeadSquared refused the access keys (401): configuration, not the activity's fault."""


@dataclass(frozen=True, slots=True)
class Misdirected:
    """An answer that is not LeadSquared's (a redirect, an HTML 404, a 405): the function is
    misconfigured (host or path) or LeadSquared is unwell; the activity is not at fault."""

    reason: str
    http_status: int | None = None


@dataclass(frozen=True, slots=True)
class Unavailable:
    """LeadSquared answered, but with a failure of its own (5xx, not JSON, unexpected)."""

    reason: str
    http_status: int | None = None


class Unreachable(_Failed):
    """The request never reached LeadSquared (no connection): nothing can exist."""


class TimedOut(_Failed):
    """The request was sent and no answer came in time: the activity may exist."""


class ConnectionLost(_Failed):
    """The connection failed after the request was sent: the activity may exist."""


class Unaccounted(_Failed):
    """A bulk answer did not account for this row: it may or may not have been created."""


class Unverified(_Failed):
    """An earlier attempt may have created the activity and a lookup could not tell: it is
    not posted again blind."""


@dataclass(frozen=True, slots=True)
class NotTried:
    """No call was made: the invocation had too little time left for one."""

    reason: str = "not enough time left in this invocation for a call"


class StoreUnavailable(_Failed):
    """The idempotency table could not be read or written before the call: not posted."""


@dataclass(frozen=True, slots=True)
class InProgress:
    """Another invocation is posting the same activity (same idempotency key) right now."""

    reason: str = "the same activity is being posted by another invocation right now"


Outcome = (
    Delivered
    | AlreadyDelivered
    | Invalid
    | Rejected
    | KeyReused
    | Throttled
    | OverDailyLimit
    | Misdirected
    | Unavailable
    | Unreachable
    | TimedOut
    | ConnectionLost
    | Unaccounted
    | Unverified
    | Unauthorized
    | NotTried
    | StoreUnavailable
    | InProgress
)


def outcome_name(outcome: Outcome) -> str:
    """The type as a word for logs: `TimedOut` -> `timed_out`."""
    name = type(outcome).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
