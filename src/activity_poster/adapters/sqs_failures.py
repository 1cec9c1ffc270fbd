"""What becomes of an SQS message after its outcome: the policy's queue column, applied.

Acknowledged, dead-lettered with its reason (then acknowledged), retried later with a
visibility timeout that grows with its receives, or put back when it was never tried: visible
again after RETRY_BACKOFF_BASE_SECONDS, and on its last receive a fresh copy, at most
MAX_PUT_BACKS times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from activity_poster import metrics
from activity_poster.adapters.sqs_records import (
    SqsRecord,
    idempotency_key,
    may_exist,
    message_group,
    message_id,
    put_backs,
    receives,
    sent_at_ms,
    text,
)
from activity_poster.metrics import Metric
from activity_poster.observability import logger
from activity_poster.outcomes import (
    Invalid,
    KeyReused,
    Outcome,
    OverDailyLimit,
    Rejected,
    Unverified,
)
from activity_poster.policy import (
    MAX_PUT_BACKS,
    MAX_VISIBILITY_SECONDS,
    NOT_TRIED_ERROR,
    UNVERIFIED_ERROR,
    OnQueue,
    dead_letter_reason,
    retry_delay,
    rule,
)
from activity_poster.queues import (
    MAY_EXIST_ATTRIBUTE,
    PUT_BACK_ATTRIBUTE,
    SENT_AT_ATTRIBUTE,
    DeadLetter,
    Queues,
    is_fifo,
)
from activity_poster.settings import Settings


@dataclass
class Delays:
    """Visibility timeouts to set once the batch is done (receipt handle -> seconds).

    Written from several delivery threads: dict assignment of distinct keys is atomic."""

    seconds: dict[str, int] = field(default_factory=dict)


class SqsFailures:
    def __init__(self, settings: Settings, queues: Queues) -> None:
        self._settings = settings
        self._queues = queues

    def settle(self, record: SqsRecord, outcome: Outcome, delays: Delays) -> bool:
        """Apply the policy to `record`; True when the message may leave the queue."""
        action = rule(outcome).queue
        if isinstance(outcome, Unverified) and not may_exist(record):
            # Not marked yet (a bulk row whose lookup failed): the mark comes first, so that
            # no receive posts it blind.
            action = OnQueue.LOOK_UP_LATER
        if action is OnQueue.ACKNOWLEDGE:
            return True
        if action is OnQueue.DEAD_LETTER:
            assert isinstance(outcome, Invalid | Rejected | KeyReused)
            if self._dead_letter(record, *dead_letter_reason(outcome)):
                return True  # it sits in the DLQ with its reason
            action = OnQueue.RETRY_LATER  # SQS's own redrive moves it after maxReceiveCount
        delay = retry_delay(
            receives(record), self._settings.retry_backoff_base, self._settings.retry_backoff_max
        )
        if action is OnQueue.PUT_BACK:
            if self._last_receive(record) and self._put_back_fresh(record, outcome):
                return True
            delay = self._settings.retry_backoff_base
        elif action is OnQueue.LOOK_UP_LATER and self._mark_for_lookup(record, delay):
            return True  # a copy marked MayExist replaces it
        elif action is OnQueue.WAIT_FOR_RESET:
            assert isinstance(outcome, OverDailyLimit)
            delay = min(MAX_VISIBILITY_SECONDS, math.ceil(outcome.seconds_to_reset))
            if self._last_receive(record) and self._copy(record, {}, delay):
                return True  # the wait costs this message no receive toward the DLQ
        handle = text(record, "receiptHandle")
        if handle is not None:
            delays.seconds[handle] = delay
        return False

    def _last_receive(self, record: SqsRecord) -> bool:
        limit = self._settings.max_receive_count
        return limit is not None and receives(record) >= limit - 1

    def _put_back_fresh(self, record: SqsRecord, outcome: Outcome) -> bool:
        """A message not posted in any of its receives (never tried, or its lookup could not
        tell) still used them up. Rather than let SQS dead-letter it for that, put a fresh
        copy on the queue (safe: this receive posted nothing) and acknowledge this one;
        after MAX_PUT_BACKS copies, dead-letter it with a reason that says why."""
        source = text(record, "eventSourceARN")
        if source is None or is_fifo(source):
            return False  # a copy would jump ahead of its FIFO group
        copies = put_backs(record)
        if copies >= MAX_PUT_BACKS and isinstance(outcome, Unverified):
            reason = (
                f"an earlier attempt may have created it, and the lookups of {copies + 1} "
                "copies of this message could not tell: look for it in LeadSquared before "
                "moving it back"
            )
            return self._dead_letter(record, UNVERIFIED_ERROR, reason)
        if copies >= MAX_PUT_BACKS:
            shortest = self._settings.call_times.shortest
            reason = (
                f"never tried in {copies + 1} copies of this message: every invocation had "
                f"less than {shortest:g} s left, the least a call needs (connect timeout, "
                "1.5 s for the answer, margin); raise the function timeout or lower the "
                "batch size"
            )
            return self._dead_letter(record, NOT_TRIED_ERROR, reason)
        requeued = self._copy(
            record, {PUT_BACK_ATTRIBUTE: str(copies + 1)}, self._settings.retry_backoff_base
        )
        if requeued:
            logger.info("untried message put back on the queue before its last receive")
        return requeued

    def _copy(self, record: SqsRecord, replace: dict[str, str], delay: int) -> bool:
        """Put a fresh copy of the message on its queue (receive count back to one), keeping
        its attributes and when it was first sent; False on a FIFO queue, where a copy would
        jump ahead of its group."""
        source = text(record, "eventSourceARN")
        if source is None or is_fifo(source):
            return False
        if (original := sent_at_ms(record)) is not None:
            replace = {SENT_AT_ATTRIBUTE: original, **replace}
        attributes = record.get("messageAttributes")
        return self._queues.requeue(
            source,
            text(record, "body") or "",
            attributes if isinstance(attributes, dict) else {},
            replace=replace,
            delay_seconds=delay,
        )

    def _mark_for_lookup(self, record: SqsRecord, delay: int) -> bool:
        """Replace the message by a copy marked MayExist, so that whichever container
        receives it next looks the activity up before posting it. A copy already marked
        (or a FIFO message, which is looked up on any redelivery) stays as it is."""
        return not may_exist(record) and self._copy(record, {MAY_EXIST_ATTRIBUTE: "true"}, delay)

    def _dead_letter(self, record: SqsRecord, error_type: str, error_message: str) -> bool:
        url = self._settings.dead_letter_queue_url
        if url is None:
            return False
        letter = DeadLetter(
            body=text(record, "body") or "",
            error_type=error_type,
            error_message=error_message,
            original_message_id=message_id(record),
            receive_count=text(record, "attributes", "ApproximateReceiveCount") or "",
            source_queue=text(record, "eventSourceARN") or "",
            message_group_id=message_group(record),
            idempotency_key=idempotency_key(record),
            sent_at=sent_at_ms(record),
        )
        moved = self._queues.dead_letter(url, letter)
        if moved:
            metrics.count(Metric.DEAD_LETTERED)
            logger.info("message moved to the dead-letter queue", extra={"error_type": error_type})
        return moved
