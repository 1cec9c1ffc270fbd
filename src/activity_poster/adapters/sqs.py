"""SQS batches: each record is handled on its own; the answer lists those to retry.

| outcome                            | the message                                          |
|------------------------------------|------------------------------------------------------|
| delivered (or already delivered)   | acknowledged                                         |
| rejected (invalid, LeadSquared MX) | moved to the DLQ with the reason, then acknowledged |
| throttled, unavailable, 401        | failed; its visibility timeout grows with receives  |
| not started (deadline)             | failed; visible again at once                        |
| not started, one receive left      | a fresh copy put on the queue, then acknowledged     |

A message is acknowledged only when LeadSquared confirmed it, or when it sits in the DLQ.
If the DLQ send fails, or no DLQ is configured, a rejected message stays on the queue and
SQS's own redrive moves it after maxReceiveCount. On a FIFO queue a failure holds back the
rest of its message group in the batch; other groups go on. Records of a standard queue
are handled on a bounded pool of threads, the most-received first.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster import metrics
from activity_poster.adapters.partial_batch import (
    PartialBatchResponse,
    RecordHandler,
    SqsRecord,
    failed_in_order,
    message_id,
    response,
)
from activity_poster.deadline import Deadline
from activity_poster.leadsquared.bulk import MAX_ROWS
from activity_poster.leadsquared.outcomes import Delivered, Outcome, Rejected, Unavailable
from activity_poster.metrics import Metric
from activity_poster.models import InvalidActivity, decode_json
from activity_poster.observability import logger
from activity_poster.queues import DeadLetter, Queues, retry_delay
from activity_poster.service import ActivityService
from activity_poster.settings import Settings

IDEMPOTENCY_ATTRIBUTE = "IdempotencyKey"


def unwrap_sns(data: Any) -> Any:
    """SNS to SQS without raw delivery wraps the payload in a notification envelope."""
    if (
        isinstance(data, dict)
        and data.get("Type") == "Notification"
        and "TopicArn" in data
        and isinstance(data.get("Message"), str)
    ):
        return decode_json(data["Message"])
    return data


def identifiable_records(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Records that can be reported on. One without a messageId cannot be named in the
    answer (naming it wrongly would make Lambda retry the whole batch), so it is logged as an
    error; SQS never sends such a record."""
    kept = []
    for index, record in enumerate(event.get("Records") or []):
        message_id = record.get("messageId") if isinstance(record, dict) else None
        if isinstance(message_id, str) and message_id:
            kept.append(record)
        else:
            logger.error("SQS record without a messageId skipped", extra={"record_index": index})
    return kept


def _text(mapping: Any, *path: str) -> str | None:
    """A string nested in a record, or None if any level is missing or of another type."""
    for key in path:
        mapping = mapping.get(key) if isinstance(mapping, dict) else None
    return mapping if isinstance(mapping, str) and mapping else None


def _receives(raw: dict[str, Any]) -> int:
    count = _text(raw, "attributes", "ApproximateReceiveCount") or "1"
    return int(count) if count.isascii() and count.isdigit() else 1


def _deferred(outcome: Outcome) -> bool:
    return isinstance(outcome, Unavailable) and outcome.deferred


@functools.cache
def _delivery_pool(workers: int) -> ThreadPoolExecutor:
    """One pool per container and size, reused by every batch: its threads outlive an
    invocation (Lambda freezes them with the process), so a batch does not start them again.
    A batch smaller than the pool keeps the others idle."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="delivery")


@dataclass
class _BatchState:
    """What the record handler learned, for the work done after the batch."""

    # Written from several delivery threads: dict assignment of distinct keys is atomic.
    delays: dict[str, int] = field(default_factory=dict)


class SqsAdapter:
    def __init__(self, service: ActivityService, settings: Settings, queues: Queues) -> None:
        self._service = service
        self._settings = settings
        self._queues = queues

    def handle(self, event: dict[str, Any], context: LambdaContext | None) -> PartialBatchResponse:
        records = identifiable_records(event)
        if not records:
            return response([])
        deadline = Deadline.from_context(context)
        self._service.begin_invocation(context)
        state = _BatchState()

        def handle_record(record: SqsRecord) -> bool:
            logger.thread_safe_append_keys(message_id=message_id(record))
            try:
                return self._handle_record(record, deadline, state)
            except Exception:
                logger.exception("unexpected error while handling the message")
                return False
            finally:
                logger.thread_safe_remove_keys(["message_id"])

        if any(str(r.get("eventSourceARN", "")).endswith(".fifo") for r in records):
            # Order within a message group matters more than speed: one at a time.
            failed = failed_in_order(records, handle_record)
        else:
            failed = self._failed_in_parallel(records, handle_record)
        source = next((_text(r, "eventSourceARN") for r in records), None)
        if source:
            self._queues.delay_retries(source, state.delays)
        return response(failed)

    def _failed_in_parallel(self, records: list[SqsRecord], handle: RecordHandler) -> list[str]:
        """Handle every record on a bounded pool of threads; the messageIds that failed, in
        the batch's order.

        The calls are I/O bound and paced by the rate limiter, so threads are what lets one
        container use its whole share of LeadSquared's limit."""
        workers = self._settings.workers
        if self._settings.delivery_mode != "single":
            workers = max(workers, MAX_ROWS)  # enough rows in flight to fill a bulk call
        if workers <= 1 or len(records) == 1:  # one at a time: a pool would only add a hop
            return [message_id(r) for r in records if not handle(r)]
        # The most-received messages go first: they are the closest to the dead-letter queue.
        ordered = sorted(records, key=lambda raw: -_receives(raw))
        outcomes = _delivery_pool(workers).map(handle, ordered)
        done = dict(zip(map(message_id, ordered), outcomes, strict=True))
        return [message_id(r) for r in records if not done[message_id(r)]]

    def _handle_record(self, record: SqsRecord, deadline: Deadline, state: _BatchState) -> bool:
        """True when the message may leave the queue: delivered, or kept in the DLQ."""
        try:
            data = unwrap_sns(decode_json(record.get("body")))
        except InvalidActivity as error:
            outcome: Outcome = self._service.refuse(error).outcome
        else:
            key_hint = _text(record, "messageAttributes", IDEMPOTENCY_ATTRIBUTE, "stringValue")
            outcome = self._service.submit(data, key_hint=key_hint, deadline=deadline).outcome
        if isinstance(outcome, Delivered):
            return True
        if isinstance(outcome, Rejected) and self._dead_letter(record, outcome):
            return True  # it sits in the DLQ with its reason
        if _deferred(outcome) and self._requeue_before_last_receive(record):
            return True  # a fresh copy, never tried, waits on the queue
        self._schedule_retry(record, outcome, state)
        return False

    def _requeue_before_last_receive(self, record: SqsRecord) -> bool:
        """A message the deadline left untried still used up one receive. Before that makes
        SQS dead-letter a message that was never even tried, put a fresh copy on the queue
        (safe: LeadSquared never saw it) and acknowledge this one."""
        limit = self._settings.max_receive_count
        source = _text(record, "eventSourceARN")
        if limit is None or source is None or source.endswith(".fifo"):
            return False  # a copy would jump ahead of its FIFO group
        if _receives(record) < limit - 1:
            return False
        attributes = record.get("messageAttributes")
        requeued = self._queues.requeue(
            source,
            _text(record, "body") or "",
            attributes if isinstance(attributes, dict) else {},
        )
        if requeued:
            logger.info("untried message put back on the queue before its last receive")
        return requeued

    def _dead_letter(self, record: SqsRecord, outcome: Rejected) -> bool:
        url = self._settings.dead_letter_queue_url
        if url is None:
            return False
        raw = record
        letter = DeadLetter(
            body=_text(raw, "body") or "",
            error_type=outcome.error_type,
            error_message=outcome.message,
            original_message_id=message_id(record),
            receive_count=_text(raw, "attributes", "ApproximateReceiveCount") or "",
            source_queue=_text(raw, "eventSourceARN") or "",
            message_group_id=_text(raw, "attributes", "MessageGroupId"),
            idempotency_key=_text(raw, "messageAttributes", IDEMPOTENCY_ATTRIBUTE, "stringValue"),
        )
        moved = self._queues.dead_letter(url, letter)
        if moved:
            metrics.count(Metric.DEAD_LETTERED)
            logger.info(
                "message moved to the dead-letter queue", extra={"error_type": outcome.error_type}
            )
        return moved

    def _schedule_retry(self, record: SqsRecord, outcome: Outcome, state: _BatchState) -> None:
        handle = _text(record, "receiptHandle")
        if handle is None:
            return
        if _deferred(outcome):
            state.delays[handle] = 0  # never tried: make it visible for the next poll at once
            return
        state.delays[handle] = retry_delay(
            _receives(record),
            self._settings.retry_backoff_base,
            self._settings.retry_backoff_max,
        )
