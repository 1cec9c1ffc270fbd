"""Every delivery attempt ends in exactly one of these values.

Adapters map them to their own world: SQS to acknowledge-or-retry, the API to a status code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class OutcomeKind(StrEnum):
    DELIVERED = "delivered"
    REJECTED = "rejected"
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    UNAUTHORIZED = "unauthorized"


@dataclass(frozen=True, slots=True)
class Delivered:
    """LeadSquared answered Status Success; `activity_id` is its Message.Id."""

    activity_id: str | None
    lead_score: Any = None
    kind: OutcomeKind = field(default=OutcomeKind.DELIVERED, init=False)


@dataclass(frozen=True, slots=True)
class Rejected:
    """Permanent: retrying the same activity cannot succeed."""

    error_type: str
    message: str
    http_status: int | None = None
    # Per-field errors when the rejection comes from local validation.
    field_errors: tuple[dict[str, str], ...] = ()
    kind: OutcomeKind = field(default=OutcomeKind.REJECTED, init=False)


@dataclass(frozen=True, slots=True)
class Throttled:
    """LeadSquared's rate limit was hit; the same call may succeed after the window."""

    message: str
    http_status: int | None = None
    kind: OutcomeKind = field(default=OutcomeKind.THROTTLED, init=False)


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Transient: a 5xx without an application error, a non-JSON body, a timeout, a network error.

    `may_have_committed` is false only when the request surely never reached LeadSquared
    (the connection could not be opened); otherwise the activity may exist already.
    """

    reason: str
    http_status: int | None = None
    timed_out: bool = False
    may_have_committed: bool = True
    # No call was made: the invocation had too little time left to start one.
    deferred: bool = False
    # Another invocation is posting the same activity (same idempotency key) right now.
    in_progress: bool = False
    kind: OutcomeKind = field(default=OutcomeKind.UNAVAILABLE, init=False)


@dataclass(frozen=True, slots=True)
class Unauthorized:
    """LeadSquared refused the keys (401): a configuration problem, not the message's fault."""

    message: str
    http_status: int | None = 401
    kind: OutcomeKind = field(default=OutcomeKind.UNAUTHORIZED, init=False)


Outcome = Delivered | Rejected | Throttled | Unavailable | Unauthorized
