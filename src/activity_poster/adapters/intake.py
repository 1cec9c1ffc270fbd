"""The API's way onto the queue: validated activities, as the caller sent them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from activity_poster.models import Activity
from activity_poster.observability import logger
from activity_poster.queues import IDEMPOTENCY_ATTRIBUTE, Queues, is_fifo

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

_SQS_BATCH = 10


@dataclass(frozen=True, slots=True)
class Enqueued:
    message_id: str | None  # None: SQS did not take it
    error: str | None = None


def message_group(activity: Activity) -> str:
    """FIFO order is kept per lead: activities on different leads need no common order."""
    return activity.RelatedProspectId or (activity.EmailAddress or "").lower()


class Intake:
    def __init__(self, queues: Queues, queue_url: str) -> None:
        self._queues = queues
        self._queue_url = queue_url
        self._fifo = is_fifo(queue_url)

    def enqueue(self, items: list[tuple[Any, Activity, str | None]]) -> list[Enqueued]:
        """Put each (original JSON, validated activity, idempotency key) on the queue.

        The original JSON is what travels: the consumer validates it again, and nothing the
        caller sent is lost or reshaped on the way.
        """
        results: list[Enqueued] = []
        for start in range(0, len(items), _SQS_BATCH):
            chunk = items[start : start + _SQS_BATCH]
            entries = [self._entry(str(i), *item) for i, item in enumerate(chunk)]
            results += self._send(entries)
        return results

    def _entry(
        self, entry_id: str, data: Any, activity: Activity, key: str | None
    ) -> SendMessageBatchRequestEntryTypeDef:
        entry: SendMessageBatchRequestEntryTypeDef = {
            "Id": entry_id,
            "MessageBody": json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        }
        if key:
            entry["MessageAttributes"] = {
                IDEMPOTENCY_ATTRIBUTE: {"DataType": "String", "StringValue": key}
            }
        if self._fifo:
            deduplication = activity.IdempotencyKey or key or activity.fingerprint()
            entry["MessageGroupId"] = message_group(activity)
            entry["MessageDeduplicationId"] = deduplication[-128:]
        return entry

    def _send(self, entries: list[SendMessageBatchRequestEntryTypeDef]) -> list[Enqueued]:
        try:
            answer = self._queues.client.send_message_batch(
                QueueUrl=self._queue_url, Entries=entries
            )
        except Exception as error:
            logger.error("could not enqueue activities", extra={"error": type(error).__name__})
            return [Enqueued(None, "the queue did not accept the activity")] * len(entries)
        sent = {item["Id"]: item["MessageId"] for item in answer.get("Successful", [])}
        failed = {item["Id"]: item.get("Code", "failed") for item in answer.get("Failed", [])}
        return [
            Enqueued(sent.get(e["Id"]), None if e["Id"] in sent else failed.get(e["Id"], "failed"))
            for e in entries
        ]
