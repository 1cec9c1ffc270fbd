"""One LeadSquared call made until it gives a final answer, as the policy says.

The single and the bulk path, and the lookups, all go through `RetryingCaller.run`: it waits
for a rate-limit slot, starts a call only while a useful one fits in the time left (and
shortens its read timeout to fit), re-reads the secret once after a 401, pauses the
container's limiter after a throttled answer, and asks the policy whether (and when) to try
again. Before another attempt after an answer that may have been lost, it asks `reconcile`
whether the activity exists already.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

from activity_poster import metrics
from activity_poster.credentials import ApiKeys, KeyStore
from activity_poster.deadline import CallTimes, Deadline
from activity_poster.leadsquared.client import on_new_connection
from activity_poster.metrics import Metric
from activity_poster.observability import logger
from activity_poster.outcomes import (
    Misdirected,
    NotTried,
    Outcome,
    OverDailyLimit,
    Throttled,
    TimedOut,
    Unauthorized,
)
from activity_poster.policy import RetryPolicy, may_exist
from activity_poster.ratelimit import DailyLimitReached, Pacer

# Before another attempt after a lost answer: the outcome if the lookup settled it (found:
# Delivered; the lookup failed: the lost answer stands), None to try again.
Reconcile = Callable[[Outcome], Outcome | None]


class Tried[T](NamedTuple):
    """What the last attempt gave (an outcome, or a call's own answer) and how many were made."""

    result: T | Outcome
    attempts: int


class RetryingCaller:
    def __init__(
        self,
        keys: KeyStore,
        policy: RetryPolicy,
        times: CallTimes,
        sleep: Callable[[float], None] = time.sleep,
        home_of: Callable[[ApiKeys], str | None] | None = None,
    ) -> None:
        """`home_of`: the API host the keys belong to, asked when they are refused."""
        self._keys = keys
        self._policy = policy
        self.times = times
        self._sleep = sleep
        self._home_of = home_of
        self._reported_at: dict[str, float] = {}

    @property
    def throttle_window(self) -> float:
        return self._policy.throttle_window_seconds

    def can_start(self, deadline: Deadline) -> bool:
        """Whether the invocation has time left for one more useful call."""
        return deadline.allows(self.times.shortest)

    def run[T](
        self,
        call: Callable[[ApiKeys, float], T | Outcome],
        limiter: Pacer | None,
        deadline: Deadline,
        *,
        slot_reserved: bool = False,
        reconcile: Reconcile | None = None,
    ) -> Tried[T]:
        """Run `call` until its answer is final, the attempts run out or time does.

        `call` answers with an outcome for the whole call, or with something else (the
        per-row answer of a bulk call, a lookup's answer), which is final.
        `slot_reserved`: the first attempt's rate-limit slot is already taken.
        """
        keys = self._keys.get()
        attempts = 0
        result: T | Outcome = NotTried()
        wait = 0.0
        while True:
            try:
                if slot_reserved:
                    slot_reserved = False
                elif not self._start_allowed(limiter, deadline, wait):
                    return Tried(result, attempts)
            except DailyLimitReached as spent:
                return Tried(OverDailyLimit(spent.seconds_to_reset), attempts)
            read_timeout = self.times.read_timeout(deadline)
            if read_timeout is None:
                return Tried(result, attempts)
            sent = time.perf_counter()
            # A call that opens a connection first dates its slot again once it is open.
            announce = on_new_connection.set(None if limiter is None else limiter.redate)
            try:
                result = call(keys, read_timeout)
            finally:
                on_new_connection.reset(announce)
            attempts += 1
            if not isinstance(result, TimedOut):
                metrics.upstream_latency((time.perf_counter() - sent) * 1000)
            if isinstance(result, Misdirected):
                self._report_misdirected(result)
            if isinstance(result, Unauthorized):
                fresh = self._keys.after_refusal(keys)
                if fresh is None:
                    self._report_refused_keys(keys)
                    return Tried(result, attempts)
                keys, wait = fresh, 0.0
                metrics.count(Metric.RETRIED)
                continue
            if isinstance(result, Throttled):
                metrics.count(Metric.THROTTLED)
                if limiter is not None:
                    # The window is full for every thread of this container, not just this one.
                    limiter.pause(self.throttle_window)
            if not isinstance(result, Outcome):
                return Tried(result, attempts)
            next_wait = self._policy.wait_before_retry(result, attempts)
            if next_wait is None:
                return Tried(result, attempts)
            if reconcile is not None and may_exist(result):
                settled = reconcile(result)
                if settled is not None:
                    return Tried(settled, attempts)
            metrics.count(Metric.RETRIED)
            wait = next_wait

    def _start_allowed(self, limiter: Pacer | None, deadline: Deadline, wait: float) -> bool:
        """Wait `wait`, then take a rate-limit slot; False if the deadline comes first."""
        if not deadline.allows(wait + self.times.shortest):
            return False
        if wait > 0:
            self._sleep(wait)
        if limiter is None:
            return True
        return limiter.acquire(deadline.latest_start(self.times.shortest))

    def _first_in_a_minute(self, what: str) -> bool:
        """True at most once a minute per `what`: one clear line, not one per activity."""
        now = time.monotonic()
        if now - self._reported_at.get(what, -60.0) < 60:
            return False
        self._reported_at[what] = now
        return True

    def _report_refused_keys(self, keys: ApiKeys) -> None:
        if not self._first_in_a_minute("refused keys"):
            return
        secret_id = self._keys.secret_id
        home = self._home_of(keys) if self._home_of is not None else None
        where = (
            f"these keys belong to {home}: set LEADSQUARED_API_URL to it"
            if home
            else "and that LEADSQUARED_API_URL is your tenant's API host"
        )
        logger.error(
            "LeadSquared refuses the access keys (HTTP 401), also after re-reading the secret: "
            f"check the keys in secret {secret_id!r} {where}",
            extra={"secret_id": secret_id, "home_api_host": home},
        )

    def _report_misdirected(self, answer: Misdirected) -> None:
        if self._first_in_a_minute("misdirected"):
            logger.error(
                "LeadSquared's host answered as if the function were misconfigured "
                f"({answer.reason[:120]}): check LEADSQUARED_API_URL (the host only, such as "
                "https://api-in21.leadsquared.com); no activity is dead-lettered for this",
                extra={"http_status": answer.http_status},
            )
