"""From raw input to an outcome: validate, pace, post, retry what is worth retrying.

Throttled and unavailable calls are tried again while the invocation has time for it; a
call never starts unless the time left covers its longest possible duration. A 401 re-reads
the secret once, in case the keys were rotated. Activities go one per call, or, in bulk and
auto modes, up to 25 per call through the bulk endpoint, which has a budget of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from activity_poster import metrics
from activity_poster.bulk_delivery import BulkCollector
from activity_poster.credentials import ApiKeys, KeyStore
from activity_poster.deadline import NO_DEADLINE, Deadline
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.leadsquared.outcomes import (
    Delivered,
    Outcome,
    Rejected,
    Throttled,
    Unauthorized,
    Unavailable,
)
from activity_poster.metrics import Metric
from activity_poster.models import Activity, InvalidActivity
from activity_poster.observability import logger
from activity_poster.ratelimit import RollingWindowLimiter
from activity_poster.retry import RetryPolicy

VALIDATION_ERROR = "InvalidActivity"
OUT_OF_TIME = "not enough time left in this invocation for another call"

T = TypeVar("T")


class DeliveryMode(StrEnum):
    SINGLE = "single"  # one activity per call
    BULK = "bulk"  # activities with a lead id through the bulk endpoint
    AUTO = "auto"  # single calls while their budget has room, bulk for the rest


def rejected_input(error: InvalidActivity) -> Rejected:
    return Rejected(
        VALIDATION_ERROR, str(error), field_errors=tuple(e.as_dict() for e in error.errors)
    )


class ActivityPoster:
    def __init__(
        self,
        client: LeadSquaredClient,
        keys: KeyStore,
        *,
        limiter: RollingWindowLimiter | None = None,
        policy: RetryPolicy | None = None,
        call_budget: float = 0.0,
        mode: DeliveryMode = DeliveryMode.SINGLE,
        bulk_limiter: RollingWindowLimiter | None = None,
        bulk_linger: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._keys = keys
        self._limiter = limiter
        self._policy = policy or RetryPolicy()
        self._call_budget = call_budget
        self._mode = mode
        self._sleep = sleep
        self._refusal_reported_at = -60.0
        self._bulk = (
            None
            if mode is DeliveryMode.SINGLE
            else BulkCollector(
                self._client, self.call_with_retries, bulk_limiter, bulk_linger, call_budget
            )
        )

    @property
    def mode(self) -> DeliveryMode:
        return self._mode

    def can_start(self, deadline: Deadline) -> bool:
        """Whether the invocation has time left for one more call."""
        return deadline.allows(self._call_budget)

    def defer(self) -> Unavailable:
        """The outcome of an activity left untried because time ran out."""
        outcome = Unavailable(OUT_OF_TIME, may_have_committed=False, deferred=True)
        _log_outcome(outcome, 0.0, attempts=0)
        return outcome

    def refuse(self, error: InvalidActivity) -> Rejected:
        """Input that never became an activity (bad JSON, broken contract): logged, rejected."""
        outcome = rejected_input(error)
        _log_outcome(outcome, 0.0, attempts=0)
        return outcome

    def post(
        self, activity: Activity, deadline: Deadline = NO_DEADLINE, *, bulk_ok: bool = True
    ) -> Outcome:
        """Post one activity. `bulk_ok=False` keeps it to a single call, for a caller that
        waits on the answer (a bulk call waits to gather rows, and its budget is smaller)."""
        started = time.perf_counter()
        body = activity.to_leadsquared()
        bulk = self._bulk is not None and bulk_ok and activity.bulk_eligible
        reserved = self._reserve_single_slot() if bulk else False
        if self._bulk is not None and bulk and not reserved:
            outcome, attempts = self._bulk.post(body, deadline)
            via = "bulk"
        else:
            outcome, attempts = self.call_with_retries(
                lambda keys: self._client.create_activity(body, keys),
                self._limiter,
                deadline,
                slot_reserved=reserved,
            )
            via = "single"
        _log_outcome(outcome, time.perf_counter() - started, attempts, via)
        return outcome

    def _reserve_single_slot(self) -> bool:
        """Auto mode: a single call goes when the single budget has a slot free right now,
        and takes it at once, so that a burst of threads cannot all claim the same slot."""
        if self._mode is not DeliveryMode.AUTO or self._limiter is None:
            return False
        return self._limiter.try_acquire()

    def call_with_retries(
        self,
        call: Callable[[ApiKeys], T | Outcome],
        limiter: RollingWindowLimiter | None,
        deadline: Deadline,
        *,
        slot_reserved: bool = False,
    ) -> tuple[T | Outcome, int]:
        """Run `call` until it gives a final answer, the attempts run out or time does.

        `call` returns an outcome for the whole call; anything that is not a Throttled,
        Unavailable or Unauthorized outcome is final (a Delivered, a Rejected, or the
        per-row answer of a bulk call).
        """
        keys = self._keys.get()
        attempts = 0
        result: T | Outcome = Unavailable(OUT_OF_TIME, may_have_committed=False, deferred=True)
        wait = 0.0
        while True:
            if slot_reserved:
                slot_reserved = False  # the first attempt's slot is already taken
                if not deadline.allows(self._call_budget):
                    return result, attempts
            elif not self._start_allowed(limiter, deadline, wait):
                return result, attempts
            sent = time.perf_counter()
            result = call(keys)
            attempts += 1
            if not (isinstance(result, Unavailable) and result.timed_out):
                metrics.upstream_latency((time.perf_counter() - sent) * 1000)
            if isinstance(result, Unauthorized):
                fresh = self._keys.after_refusal(keys)
                if fresh is None:
                    self._report_refused_keys()
                    return result, attempts
                keys, wait = fresh, 0.0
                metrics.count(Metric.RETRIED)
                continue
            if not isinstance(result, Throttled | Unavailable):
                return result, attempts
            if isinstance(result, Throttled):
                metrics.count(Metric.THROTTLED)
                if limiter is not None:
                    # The window is full for every thread of this container, not just this one.
                    limiter.pause(self._policy.throttle_window_seconds)
            next_wait = self._policy.wait_before_retry(result, attempts)
            if next_wait is None:
                return result, attempts
            metrics.count(Metric.RETRIED)
            wait = next_wait

    def _report_refused_keys(self) -> None:
        """One clear line, at most once a minute, when the keys in the secret are refused."""
        if time.monotonic() - self._refusal_reported_at < 60:
            return
        self._refusal_reported_at = time.monotonic()
        secret_id = self._keys.secret_id
        logger.error(
            "LeadSquared refuses the access keys (HTTP 401), also after re-reading the secret: "
            f"check the keys in secret {secret_id!r} and that LEADSQUARED_API_URL is your "
            "tenant's API host",
            extra={"secret_id": secret_id},
        )

    def _start_allowed(
        self, limiter: RollingWindowLimiter | None, deadline: Deadline, wait: float
    ) -> bool:
        """Wait `wait`, then take a rate-limit slot; False if the deadline comes first."""
        if not deadline.allows(wait + self._call_budget):
            return False
        if wait > 0:
            self._sleep(wait)
        if limiter is None:
            return True
        return limiter.acquire(deadline.latest_start(self._call_budget))


_FINAL_METRIC = {
    Delivered: Metric.DELIVERED,
    Rejected: Metric.REJECTED,
    Unavailable: Metric.UNAVAILABLE,
    Unauthorized: Metric.UNAUTHORIZED,
}


def _log_outcome(outcome: Outcome, seconds: float, attempts: int, via: str | None = None) -> None:
    """One line per activity, and its final outcome as a metric (throttled answers are
    counted as they happen, so a final 'throttled' adds nothing)."""
    final = _FINAL_METRIC.get(type(outcome))
    if final is not None:
        metrics.count(final)
    fields: dict[str, Any] = {
        "outcome": outcome.kind.value,
        "latency_ms": round(seconds * 1000, 1),
        "attempts": attempts,
    }
    if via is not None:
        fields["via"] = via
    if isinstance(outcome, Delivered):
        fields["activity_id"] = outcome.activity_id
        logger.info("activity delivered", extra=fields)
        return
    fields.update({k: v for k, v in _describe(outcome).items() if v not in (None, "", ())})
    logger.warning(f"activity {outcome.kind.value}", extra=fields)


def _describe(outcome: Outcome) -> dict[str, Any]:
    # "message" is a reserved LogRecord attribute, hence error_message.
    return {
        "http_status": getattr(outcome, "http_status", None),
        "error_type": getattr(outcome, "error_type", None),
        "error_message": getattr(outcome, "message", None),
        "reason": getattr(outcome, "reason", None),
        "field_errors": getattr(outcome, "field_errors", None),
    }
