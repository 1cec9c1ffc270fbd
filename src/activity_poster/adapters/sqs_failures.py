"""What becomes of an SQS message after its outcome: the policy's queue column, applied.

Acknowledged, dead-lettered with its reason (then acknowledged), retried later with a
visibility timeout that grows with its receives, or put back when it was never tried.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from activity_poster import metrics
from activity_poster.adapters.sqs_records import (
    SqsRecord,
    idempotency_key,
    message_group,
    message_id,
    receives,
    text,
)
from activity_poster.metrics import Metric
from activity_poster.observability import logger
from activity_poster.outcomes import Invalid, Outcome, Rejected
from activity_poster.policy import OnQueue, dead_letter_reason, retry_delay, rule
from activity_poster.queues import DeadLetter, Queues, is_fifo
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
        if action is OnQueue.ACKNOWLEDGE:
            return True
        if action is OnQueue.DEAD_LETTER:
            assert isinstance(outcome, Invalid | Rejected)
            if self._dead_letter(record, outcome):
                return True  # it sits in the DLQ with its reason
            action = OnQueue.RETRY_LATER  # SQS's own redrive moves it after maxReceiveCount
        if action is OnQueue.PUT_BACK and self._requeue_before_last_receive(record):
            return True  # a fresh copy, never tried, waits on the queue
        handle = text(record, "receiptHandle")
        if handle is not None:
            delays.seconds[handle] = (
                0  # never tried: visible for the next poll at once
                if action is OnQueue.PUT_BACK
                else retry_delay(
                    receives(record),
                    self._settings.retry_backoff_base,
                    self._settings.retry_backoff_max,
                )
            )
        return False

    def _requeue_before_last_receive(self, record: SqsRecord) -> bool:
        """A message the deadline left untried still used up one receive. Before that makes
        SQS dead-letter a message that was never even tried, put a fresh copy on the queue
        (safe: LeadSquared never saw it) and acknowledge this one."""
        limit = self._settings.max_receive_count
        source = text(record, "eventSourceARN")
        if limit is None or source is None or is_fifo(source):
            return False  # a copy would jump ahead of its FIFO group
        if receives(record) < limit - 1:
            return False
        attributes = record.get("messageAttributes")
        requeued = self._queues.requeue(
            source, text(record, "body") or "", attributes if isinstance(attributes, dict) else {}
        )
        if requeued:
            logger.info("untried message put back on the queue before its last receive")
        return requeued

    def _dead_letter(self, record: SqsRecord, outcome: Invalid | Rejected) -> bool:
        url = self._settings.dead_letter_queue_url
        if url is None:
            return False
        error_type, error_message = dead_letter_reason(outcome)
        letter = DeadLetter(
            body=text(record, "body") or "",
            error_type=error_type,
            error_message=error_message,
            original_message_id=message_id(record),
            receive_count=text(record, "attributes", "ApproximateReceiveCount") or "",
            source_queue=text(record, "eventSourceARN") or "",
            message_group_id=message_group(record),
            idempotency_key=idempotency_key(record),
        )
        moved = self._queues.dead_letter(url, letter)
        if moved:
            metrics.count(Metric.DEAD_LETTERED)
            logger.info("message moved to the dead-letter queue", extra={"error_type": error_type})
        return moved
