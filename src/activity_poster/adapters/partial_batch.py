"""Which records of an SQS batch failed, and the answer that hands only those back to SQS.

Lambda's contract for `ReportBatchItemFailures`: the answer lists the messageId of every
record to retry; an empty list acknowledges the whole batch.

Written out here rather than taken from Powertools' batch utility. Its
`SqsFifoPartialProcessor(skip_group_on_error=True)` also skips the rest of a failed
message group, but raises `BatchProcessingError` when every record failed (here the answer
then lists them all, and Lambda retries just those), and it handles records one at a time,
where a standard queue's batch here runs on a pool of threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypedDict

from activity_poster.adapters.sqs_records import SqsRecord, message_group, message_id

# Handles one record; True when the message may be deleted from the queue.
RecordHandler = Callable[[SqsRecord], bool]


class BatchItemFailure(TypedDict):
    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    batchItemFailures: list[BatchItemFailure]


def failed_in_order(records: Iterable[SqsRecord], handle: RecordHandler) -> list[str]:
    """FIFO: one record at a time, in order; a failure holds back the rest of its group
    (and only in this batch: its other groups go on)."""
    failed: list[str] = []
    held_back: set[str | None] = set()
    for record in records:
        group = message_group(record)
        if group in held_back or not handle(record):
            held_back.add(group)
            failed.append(message_id(record))
    return failed


def response(failed: Iterable[str]) -> PartialBatchResponse:
    return {"batchItemFailures": [{"itemIdentifier": item} for item in failed]}
