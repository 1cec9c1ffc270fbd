"""What happens after each outcome: the one place to read or change it.

`RULES` holds one row per outcome type:
- again in this invocation: whether, and after what wait, the same call is made again
  while attempts (`LEADSQUARED_MAX_ATTEMPTS`) and time last;
- SQS message: acknowledged; dead-lettered with its reason; retried later (the message
  fails, its visibility timeout grows with its receive count, see `retry_delay`, and SQS's
  redrive moves it to the DLQ after maxReceiveCount); or put back (never tried: visible
  again after the base retry delay, and on its last receive a fresh copy is queued
  instead, MAX_PUT_BACKS times at most, then it is dead-lettered as NotTried; the same for
  an activity a lookup could not verify, which was not posted either); or looked
  up later (the activity may exist: retried later as a fresh copy marked MayExist, which is
  looked up before it is posted again; a copy already marked is simply retried later);
  or wait for the reset (the day's calls are spent: visible again when the day resets, at
  most 12 hours, and a fresh copy on its last receive so the wait costs no receive);
- the HTTP status of `POST /activities`, and the metric the final outcome counts in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum
from http import HTTPStatus

from activity_poster.metrics import Metric
from activity_poster.outcomes import (
    AlreadyDelivered,
    ConnectionLost,
    Delivered,
    InProgress,
    Invalid,
    KeyReused,
    Misdirected,
    NotTried,
    Outcome,
    OverDailyLimit,
    Rejected,
    StoreUnavailable,
    Throttled,
    TimedOut,
    Unaccounted,
    Unauthorized,
    Unavailable,
    Unreachable,
    Unverified,
)

# LeadSquared counts its limits over 5-second windows and sends no retry hint.
LEADSQUARED_WINDOW_SECONDS = 5.0
# SQS caps a visibility timeout at 12 hours.
MAX_VISIBILITY_SECONDS = 43200
INVALID_ACTIVITY = "InvalidActivity"
NOT_TRIED_ERROR = "NotTried"
UNVERIFIED_ERROR = "Unverified"
KEY_REUSED = "IdempotencyKeyReused"
# A message never tried is put back as a fresh copy at most this many times, then
# dead-lettered: the function's time budget, not the activity, needs fixing.
MAX_PUT_BACKS = 3


class Again(Enum):
    """Whether, and after what wait, the same call is made again within the invocation."""

    NEVER = "final for this invocation"
    AFTER_WINDOW = "after the rate window, plus jitter"
    AFTER_BACKOFF = "after an exponential backoff with jitter"
    AT_ONCE_THEN_BACKOFF = "at once the first time (nothing was sent), then after a backoff"
    WITH_NEW_KEYS = "at once, if the secret holds other keys than those refused"


class OnQueue(Enum):
    ACKNOWLEDGE = "acknowledged"
    DEAD_LETTER = "moved to the dead-letter queue with its reason, then acknowledged"
    RETRY_LATER = "failed; visible again after a delay that grows with its receives"
    PUT_BACK = "failed, visible again soon; a fresh copy on its last receive (a few times)"
    WAIT_FOR_RESET = "failed, visible again at the daily reset (a fresh copy on its last receive)"
    LOOK_UP_LATER = "retried later, as a copy marked to be looked up before it is posted again"


@dataclass(frozen=True, slots=True)
class Rule:
    again: Again
    queue: OnQueue
    status: HTTPStatus
    metric: Metric | None  # the metric the final outcome counts in


# fmt: off
RULES: dict[type[Outcome], Rule] = {
    # outcome              again in this invocation     SQS message             HTTP                             metric (None: not counted)
    Delivered:        Rule(Again.NEVER,                 OnQueue.ACKNOWLEDGE,    HTTPStatus.CREATED,              Metric.DELIVERED),
    AlreadyDelivered: Rule(Again.NEVER,                 OnQueue.ACKNOWLEDGE,    HTTPStatus.CREATED,              None),
    Invalid:          Rule(Again.NEVER,                 OnQueue.DEAD_LETTER,    HTTPStatus.BAD_REQUEST,          Metric.REJECTED),
    Rejected:         Rule(Again.NEVER,                 OnQueue.DEAD_LETTER,    HTTPStatus.UNPROCESSABLE_ENTITY, Metric.REJECTED),
    KeyReused:        Rule(Again.NEVER,                 OnQueue.DEAD_LETTER,    HTTPStatus.UNPROCESSABLE_ENTITY, Metric.REJECTED),
    Throttled:        Rule(Again.AFTER_WINDOW,          OnQueue.RETRY_LATER,    HTTPStatus.TOO_MANY_REQUESTS,    None),  # counted per answer
    OverDailyLimit:   Rule(Again.NEVER,                 OnQueue.WAIT_FOR_RESET, HTTPStatus.TOO_MANY_REQUESTS,    Metric.DAILY_LIMIT_REACHED),
    Misdirected:      Rule(Again.NEVER,                 OnQueue.RETRY_LATER,    HTTPStatus.BAD_GATEWAY,          Metric.CONFIGURATION_FAULT),
    Unavailable:      Rule(Again.AFTER_BACKOFF,         OnQueue.RETRY_LATER,    HTTPStatus.BAD_GATEWAY,          Metric.UNAVAILABLE),
    Unreachable:      Rule(Again.AT_ONCE_THEN_BACKOFF,  OnQueue.RETRY_LATER,    HTTPStatus.BAD_GATEWAY,          Metric.UNAVAILABLE),
    TimedOut:         Rule(Again.AFTER_BACKOFF,         OnQueue.LOOK_UP_LATER,  HTTPStatus.GATEWAY_TIMEOUT,      Metric.UNAVAILABLE),
    ConnectionLost:   Rule(Again.AFTER_BACKOFF,         OnQueue.LOOK_UP_LATER,  HTTPStatus.BAD_GATEWAY,          Metric.UNAVAILABLE),
    Unaccounted:      Rule(Again.NEVER,                 OnQueue.LOOK_UP_LATER,  HTTPStatus.BAD_GATEWAY,          Metric.UNAVAILABLE),
    Unverified:       Rule(Again.NEVER,                 OnQueue.PUT_BACK,       HTTPStatus.BAD_GATEWAY,          Metric.UNAVAILABLE),
    Unauthorized:     Rule(Again.WITH_NEW_KEYS,         OnQueue.RETRY_LATER,    HTTPStatus.BAD_GATEWAY,          Metric.UNAUTHORIZED),
    NotTried:         Rule(Again.NEVER,                 OnQueue.PUT_BACK,       HTTPStatus.SERVICE_UNAVAILABLE,  Metric.NOT_TRIED),
    StoreUnavailable: Rule(Again.NEVER,                 OnQueue.RETRY_LATER,    HTTPStatus.SERVICE_UNAVAILABLE,  Metric.UNAVAILABLE),
    InProgress:       Rule(Again.NEVER,                 OnQueue.RETRY_LATER,    HTTPStatus.CONFLICT,             None),
}
# fmt: on


def rule(outcome: Outcome) -> Rule:
    return RULES[type(outcome)]


def may_exist(outcome: Outcome) -> bool:
    """An answer after which the activity may exist: it is looked up before it is sent again."""
    return rule(outcome).queue is OnQueue.LOOK_UP_LATER


def dead_letter_reason(outcome: Invalid | Rejected | KeyReused) -> tuple[str, str]:
    """(ErrorType, ErrorMessage) of the dead letter."""
    if isinstance(outcome, Invalid):
        return INVALID_ACTIVITY, outcome.summary
    if isinstance(outcome, KeyReused):
        return KEY_REUSED, f"idempotency key {outcome.key!r} was used for a different activity"
    return outcome.error_type, outcome.message


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The waits of the "again in this invocation" column; nothing here sleeps."""

    max_attempts: int = 3
    backoff_base_seconds: float = 0.25
    backoff_cap_seconds: float = 4.0
    throttle_window_seconds: float = LEADSQUARED_WINDOW_SECONDS

    def wait_before_retry(
        self, outcome: Outcome, attempt: int, rng: random.Random | None = None
    ) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when not to retry at all.

        `WITH_NEW_KEYS` is not a wait: the caller re-reads the secret instead."""
        again = rule(outcome).again
        if attempt >= self.max_attempts or again in (Again.NEVER, Again.WITH_NEW_KEYS):
            return None
        draw = rng.random() if rng else random.random()  # noqa: S311 - jitter, not secrecy
        if again is Again.AFTER_WINDOW:
            # The whole window, plus jitter so that containers do not return in step.
            return self.throttle_window_seconds * (1 + 0.2 * draw)
        if again is Again.AT_ONCE_THEN_BACKOFF and attempt == 1:
            return 0.0
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2.0 ** (attempt - 1))
        return ceiling / 2 + ceiling / 2 * draw  # "equal jitter": never zero, never in step


def retry_delay(receive_count: int, base: int, cap: int, rng: random.Random | None = None) -> int:
    """Visibility timeout of a message "retried later" after its `receive_count`-th receive.

    Doubles with each receive, from `base` up to `cap`, with 10% jitter so that a burst of
    failures does not come back as a burst.
    """
    delay = min(cap, base * 2.0 ** min(30, max(0, receive_count - 1)))
    draw = rng.random() if rng else random.random()  # noqa: S311 - jitter, not secrecy
    return min(MAX_VISIBILITY_SECONDS, max(0, round(delay * (0.9 + 0.2 * draw))))
