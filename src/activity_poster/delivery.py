"""From raw input to an outcome: validate, pace, post, retry what is worth retrying.

Throttled and unavailable calls are tried again while the invocation has time for it; a
call never starts unless the time left covers its longest possible duration. A 401 re-reads
the secret once, in case the keys were rotated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from activity_poster import metrics
from activity_poster.credentials import KeyStore
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
from activity_poster.models import Activity, InvalidActivity, parse_activity
from activity_poster.observability import logger
from activity_poster.ratelimit import RollingWindowLimiter
from activity_poster.retry import RetryPolicy

VALIDATION_ERROR = "InvalidActivity"
OUT_OF_TIME = "not enough time left in this invocation for another call"


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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._keys = keys
        self._limiter = limiter
        self._policy = policy or RetryPolicy()
        self._call_budget = call_budget
        self._sleep = sleep
        self._refusal_reported_at = -60.0

    def deliver(self, data: Any, deadline: Deadline = NO_DEADLINE) -> Outcome:
        """Validate `data` (a decoded JSON value) and post it; invalid input is Rejected."""
        try:
            activity = parse_activity(data)
        except InvalidActivity as error:
            return self.refuse(error)
        return self.post(activity, deadline)

    def refuse(self, error: InvalidActivity) -> Rejected:
        """Input that never became an activity (bad JSON, broken contract): logged, rejected."""
        outcome = rejected_input(error)
        _log_outcome(outcome, 0.0, attempts=0)
        return outcome

    def post(self, activity: Activity, deadline: Deadline = NO_DEADLINE) -> Outcome:
        started = time.perf_counter()
        outcome, attempts = self._post_with_retries(activity.to_leadsquared(), deadline)
        _log_outcome(outcome, time.perf_counter() - started, attempts)
        return outcome

    def _post_with_retries(self, body: dict[str, Any], deadline: Deadline) -> tuple[Outcome, int]:
        keys = self._keys.get()
        attempts = 0
        outcome: Outcome = Unavailable(OUT_OF_TIME, may_have_committed=False, deferred=True)
        wait = 0.0
        while True:
            if not self._start_allowed(deadline, wait):
                return outcome, attempts
            sent = time.perf_counter()
            outcome = self._client.create_activity(body, keys)
            attempts += 1
            if not (isinstance(outcome, Unavailable) and outcome.timed_out):
                metrics.upstream_latency((time.perf_counter() - sent) * 1000)
            if isinstance(outcome, Throttled):
                metrics.count(Metric.THROTTLED)
            if isinstance(outcome, Unauthorized):
                fresh = self._keys.after_refusal(keys)
                if fresh is None:
                    self._report_refused_keys()
                    return outcome, attempts
                keys, wait = fresh, 0.0
                metrics.count(Metric.RETRIED)
                continue
            if isinstance(outcome, Throttled) and self._limiter is not None:
                # The window is full for every thread of this container, not just this one.
                self._limiter.pause(self._policy.throttle_window_seconds)
            next_wait = self._policy.wait_before_retry(outcome, attempts)
            if next_wait is None:
                return outcome, attempts
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

    def _start_allowed(self, deadline: Deadline, wait: float) -> bool:
        """Wait `wait`, then take a rate-limit slot; False if the deadline comes first."""
        if not deadline.allows(wait + self._call_budget):
            return False
        if wait > 0:
            self._sleep(wait)
        if self._limiter is None:
            return True
        return self._limiter.acquire(deadline.latest_start(self._call_budget))


_refused_reported_at = -1e9


def _report_refused_keys(secret_id: str) -> None:
    """One clear line, at most once a minute, when the keys in the secret are refused."""
    global _refused_reported_at
    if time.monotonic() - _refused_reported_at >= 60:
        _refused_reported_at = time.monotonic()
        logger.error(
            "LeadSquared refuses the access keys (HTTP 401), also after re-reading the secret: "
            f"check the keys in secret {secret_id!r} and that LEADSQUARED_API_URL is your "
            "tenant's API host",
            extra={"secret_id": secret_id},
        )


_FINAL_METRIC = {
    Delivered: Metric.DELIVERED,
    Rejected: Metric.REJECTED,
    Unavailable: Metric.UNAVAILABLE,
    Unauthorized: Metric.UNAUTHORIZED,
}


def _log_outcome(outcome: Outcome, seconds: float, attempts: int) -> None:
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
