"""One valid activity to one outcome: by a single call, or as a row of a bulk call.

In bulk and auto modes activities that name their lead by id may go through the bulk
endpoint, up to 25 per call, which has a budget of its own; auto mode uses a single call
whenever the single budget has a slot free at that moment, or will free one for this activity
before the bulk budget frees its next call. Every activity ends in one log line and one final
metric.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from activity_poster import metrics, policy
from activity_poster.bulk_delivery import BulkCollector
from activity_poster.calls import RetryingCaller, Tried
from activity_poster.deadline import NO_DEADLINE, Deadline
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.models import Activity
from activity_poster.observability import logger
from activity_poster.outcomes import (
    Delivered,
    Invalid,
    NotTried,
    Outcome,
    outcome_name,
)
from activity_poster.policy import INVALID_ACTIVITY, rule
from activity_poster.ratelimit import DailyLimitReached, Pacer, RateLimit
from activity_poster.reconcile import Reconciler
from activity_poster.settings import DeliveryMode


class ActivityPoster:
    def __init__(
        self,
        client: LeadSquaredClient,
        caller: RetryingCaller,
        *,
        limiter: Pacer | None = None,
        interactive_limiter: Pacer | None = None,
        mode: DeliveryMode = DeliveryMode.SINGLE,
        bulk_limiter: Pacer | None = None,
        bulk_linger: float = 0.05,
    ) -> None:
        self._client = client
        self._caller = caller
        self._limiter = limiter
        # API callers wait on their answer: they may use what batches leave free.
        self._interactive_limiter = interactive_limiter or limiter
        self._mode = mode
        self._reconciler = Reconciler(client, caller, limiter)
        self._bulk_limiter = bulk_limiter
        # Auto mode: activities sent to wait for a single slot and not yet answered.
        self._routed_single = 0
        self._routing = threading.Lock()
        self._bulk = (
            None
            if mode is DeliveryMode.SINGLE
            else BulkCollector(client, caller, bulk_limiter, bulk_linger)
        )

    def can_start(self, deadline: Deadline) -> bool:
        return self._caller.can_start(deadline)

    def not_tried(self) -> NotTried:
        """The outcome of an activity left untried because time ran out."""
        outcome = NotTried()
        record(outcome, 0.0, attempts=0)
        return outcome

    def deliver(
        self,
        activity: Activity,
        deadline: Deadline = NO_DEADLINE,
        *,
        interactive: bool = False,
        may_exist: bool = False,
    ) -> Outcome:
        """Post one activity. `interactive`: a caller waits on the answer, so one single call
        (a bulk call waits to gather rows, and its budget is smaller). `may_exist`: an
        earlier attempt may have created it, so it is looked up first."""
        started = time.perf_counter()
        body = activity.to_leadsquared()
        result: Outcome | None = None
        attempts, via = 0, "single"
        if may_exist:
            result = self._reconciler.settle(body, deadline)
        reserved = routed = False
        if result is None and self._bulk is not None and not interactive:
            reserved = activity.bulk_eligible and self._reserve_single_slot()
            routed = activity.bulk_eligible and not reserved and self._route_single()
            if activity.bulk_eligible and not reserved and not routed:
                row = self._bulk.deliver_row(body, deadline)
                result, attempts, via = row.result, row.attempts, "bulk"
                if policy.may_exist(result):
                    # A row of a bulk call that may have committed is looked up before it
                    # is sent again, on its own.
                    result = self._reconciler.settle(body, deadline)
        if result is None:
            try:
                single = self._single(
                    body, deadline, slot_reserved=reserved, interactive=interactive
                )
            finally:
                if routed:
                    with self._routing:
                        self._routed_single -= 1
            result, attempts = single.result, attempts + single.attempts
        record(result, time.perf_counter() - started, attempts, via)
        return result

    def _single(
        self, body: dict[str, Any], deadline: Deadline, *, slot_reserved: bool, interactive: bool
    ) -> Tried[Outcome]:
        tried: Tried[Outcome] = self._caller.run(
            lambda keys, read: self._client.create_activity(body, keys, read),
            self._interactive_limiter if interactive else self._limiter,
            deadline,
            slot_reserved=slot_reserved,
            reconcile=lambda lost: self._settle_lost(body, deadline, lost),
        )
        return tried

    def _settle_lost(
        self, body: dict[str, Any], deadline: Deadline, lost: Outcome
    ) -> Outcome | None:
        """After a lost answer: found, delivered; not found, None (post again); the lookup
        failing, the lost answer stands (the activity is not posted blind)."""
        settled = self._reconciler.settle(body, deadline)
        return settled if settled is None or isinstance(settled, Delivered) else lost

    def _route_single(self) -> bool:
        """Auto mode: wait for a single slot when `single_turn_first` says so."""
        if self._mode is not DeliveryMode.AUTO or self._limiter is None:
            return False
        if self._bulk_limiter is None:
            return False  # an unpaced bulk budget is always free
        try:
            single, bulk = self._limiter.free_in(), self._bulk_limiter.free_in()
        except Exception:  # a budget that cannot be read: the bulk path decides, as before
            logger.warning("could not compare the single and bulk budgets")
            return False
        with self._routing:
            ahead = self._routed_single
            if not single_turn_first(
                single, ahead, self._limiter.limit, bulk, self._bulk_limiter.limit
            ):
                return False
            self._routed_single += 1
            return True

    def _reserve_single_slot(self) -> bool:
        """Auto mode: a single call goes when the single budget has a slot free right now,
        and takes it at once, so that a burst of threads cannot all claim the same slot."""
        if self._mode is not DeliveryMode.AUTO or self._limiter is None:
            return False
        try:
            return self._limiter.try_acquire()
        except DailyLimitReached:
            return False  # the call that follows meets it again, and says so


def single_turn_first(
    single_free: float, ahead: int, single: RateLimit, bulk_free: float, bulk: RateLimit
) -> bool:
    """Auto mode's routing: whether an activity waits for a single slot rather than a row in
    the next bulk call. Its turn at the single budget comes after the `ahead` activities
    already waiting there, one every window / calls from when a slot frees. It waits for a
    single slot when that turn comes before the bulk budget's next call, so auto mode never
    delivers slower than single calls would, and soon (within one bulk call's share of the
    window), so the delivery threads are not all queued on single slots when a bulk call,
    which carries 25 of them, frees."""
    turn = single_free + ahead * single.window_seconds / single.calls
    return turn < min(bulk_free, bulk.window_seconds / bulk.calls)


def record(outcome: Outcome, seconds: float, attempts: int, via: str | None = None) -> None:
    """One line per activity, and its final outcome as a metric."""
    final = rule(outcome).metric
    if final is not None:
        metrics.count(final)
    fields: dict[str, Any] = {
        "outcome": outcome_name(outcome),
        "latency_ms": round(seconds * 1000, 1),
        "attempts": attempts,
    }
    if via is not None:
        fields["via"] = via
    if isinstance(outcome, Delivered):
        logger.info("activity delivered", extra={**fields, "activity_id": outcome.activity_id})
        return
    details = {k: v for k, v in describe(outcome).items() if v not in (None, "", [])}
    logger.warning(f"activity {fields['outcome']}", extra={**fields, **details})


def describe(outcome: Outcome) -> dict[str, Any]:
    """The outcome's details as log keys ("message" is a reserved LogRecord attribute)."""
    if isinstance(outcome, Invalid):
        return {
            "error_type": INVALID_ACTIVITY,
            "error_message": outcome.summary,
            "field_errors": list(outcome.errors),
        }
    return {
        "http_status": getattr(outcome, "http_status", None),
        "error_type": getattr(outcome, "error_type", None),
        "error_message": getattr(outcome, "message", None),
        "reason": getattr(outcome, "reason", None),
        "activity_id": getattr(outcome, "activity_id", None),
    }
