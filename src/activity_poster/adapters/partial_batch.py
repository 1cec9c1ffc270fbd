"""Which records of an SQS batch failed, and the answer that hands only those back to SQS.

Lambda's contract for `ReportBatchItemFailures`: the answer lists the messageId of every
record to retry; an empty list acknowledges the whole batch. A FIFO batch must also keep
the order within each message group: once a record fails, the records after it in the same
group are not tried and are reported as failed too, while other groups go on.

Written out here rather than taken from Powertools' batch utility, which does the same: that
utility imports asyncio and every Powertools event class, about a tenth of this function's
cold start, for the few lines below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypedDict

SqsRecord = dict[str, Any]
# Handles one record; True when the message may be deleted from the queue.
RecordHandler = Callable[[SqsRecord], bool]


class BatchItemFailure(TypedDict):
    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    batchItemFailures: list[BatchItemFailure]


def message_id(record: SqsRecord) -> str:
    return str(record["messageId"])


def message_group(record: SqsRecord) -> str | None:
    attributes = record.get("attributes")
    group = attributes.get("MessageGroupId") if isinstance(attributes, dict) else None
    return group if isinstance(group, str) else None


def failed_in_order(records: Iterable[SqsRecord], handle: RecordHandler) -> list[str]:
    """FIFO: one record at a time, in order; a failure holds back the rest of its group."""
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
