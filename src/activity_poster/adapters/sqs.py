"""SQS batches: each record is handled on its own; the answer lists those to retry.

What becomes of each message after its outcome is the policy's queue column (policy.py),
applied by sqs_failures.py. A message is acknowledged only when LeadSquared confirmed it, or
when it sits in the DLQ. On a FIFO queue a failure holds back the rest of its message group
in the batch; other groups go on. Records of a standard queue are handled on a bounded pool
of threads, the most-received first.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster.adapters.partial_batch import (
    PartialBatchResponse,
    RecordHandler,
    failed_in_order,
    response,
)
from activity_poster.adapters.sqs_failures import Delays, SqsFailures
from activity_poster.adapters.sqs_records import (
    SqsRecord,
    activity_data,
    idempotency_key,
    identifiable_records,
    may_exist,
    message_id,
    receives,
    sent_at,
    text,
)
from activity_poster.deadline import Deadline
from activity_poster.leadsquared.bulk import MAX_ROWS
from activity_poster.models import InvalidActivity
from activity_poster.observability import logger
from activity_poster.outcomes import Outcome
from activity_poster.queues import Queues, is_fifo
from activity_poster.service import ActivityService
from activity_poster.settings import DeliveryMode, Settings


@functools.cache
def _delivery_pool(workers: int) -> ThreadPoolExecutor:
    """One pool per container and size, reused by every batch: its threads outlive an
    invocation (Lambda freezes them with the process), so a batch does not start them again.
    A batch smaller than the pool keeps the others idle."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="delivery")


class SqsAdapter:
    def __init__(self, service: ActivityService, settings: Settings, queues: Queues) -> None:
        self._service = service
        self._settings = settings
        self._queues = queues
        self._failures = SqsFailures(settings, queues)

    def handle(self, event: dict[str, Any], context: LambdaContext | None) -> PartialBatchResponse:
        records = identifiable_records(event)
        if not records:
            return response([])
        deadline = Deadline.from_context(context)
        self._service.begin_invocation(context)
        delays = Delays()

        def handle_record(record: SqsRecord) -> bool:
            logger.thread_safe_append_keys(message_id=message_id(record))
            try:
                outcome = self._outcome(record, deadline)
                return self._failures.settle(record, outcome, delays)
            except Exception:
                logger.exception("unexpected error while handling the message")
                return False
            finally:
                logger.thread_safe_remove_keys(["message_id"])

        sources = [text(r, "eventSourceARN") or "" for r in records]
        if any(is_fifo(source) for source in sources):
            # Order within a message group matters more than speed: one at a time.
            failed = failed_in_order(records, handle_record)
        else:
            failed = self._failed_in_parallel(records, handle_record)
        source = next((s for s in sources if s), None)
        if source:
            self._queues.delay_retries(source, delays.seconds)
        return response(failed)

    def _outcome(self, record: SqsRecord, deadline: Deadline) -> Outcome:
        try:
            data = activity_data(record)
        except InvalidActivity as error:
            return self._service.refuse(error)
        return self._service.submit(
            data,
            key_hint=idempotency_key(record),
            deadline=deadline,
            sent_at=sent_at(record),
            may_exist=may_exist(record),
            caller=text(record, "eventSourceARN"),
        )

    def _failed_in_parallel(self, records: list[SqsRecord], handle: RecordHandler) -> list[str]:
        """Handle every record on a bounded pool of threads; the messageIds that failed, in
        the batch's order.

        The calls are I/O bound and paced by the rate limiter, so threads are what lets one
        container use its whole share of LeadSquared's limit."""
        workers = self._settings.workers
        if self._settings.delivery_mode is not DeliveryMode.SINGLE:
            workers = max(workers, MAX_ROWS)  # enough rows in flight to fill a bulk call
        if workers <= 1 or len(records) == 1:  # one at a time: a pool would only add a hop
            return [message_id(r) for r in records if not handle(r)]
        # The most-received messages go first: they are the closest to the dead-letter queue.
        ordered = sorted(records, key=lambda record: -receives(record))
        outcomes = _delivery_pool(workers).map(handle, ordered)
        done = dict(zip(map(message_id, ordered), outcomes, strict=True))
        return [message_id(r) for r in records if not done[message_id(r)]]
