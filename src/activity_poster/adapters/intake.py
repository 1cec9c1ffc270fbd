"""The API's way onto the queue: validated activities, as the caller sent them.

SQS refuses a message larger than the queue's MaximumMessageSize (1 KiB to 1 MiB, 1 MiB by
default), and a SendMessageBatch whose messages add up to more than 1 MiB. The limit is read
from the queue once per container, on the first enqueue; an activity over it is never sent
(retrying cannot help), and batches are cut so that no batch is over 1 MiB: one large
activity does not take the others of its request down with it.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from activity_poster.models import Activity
from activity_poster.observability import logger
from activity_poster.queues import IDEMPOTENCY_ATTRIBUTE, Queues, is_fifo

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

_SQS_BATCH = 10
# SQS's largest message, which is also the most one SendMessageBatch may carry in all.
SQS_MAX_BYTES = 1024 * 1024
# A MessageGroupId or MessageDeduplicationId: at most 128 ASCII letters, digits and
# punctuation marks.
_SQS_ID_LENGTH = 128
_SQS_ID_CHARACTERS = frozenset(string.ascii_letters + string.digits + string.punctuation)


@dataclass(frozen=True, slots=True)
class Enqueued:
    message_id: str | None  # None: SQS did not take it
    error: str | None = None
    # Never sent: larger than the queue takes, so sending it again cannot help.
    too_large: bool = False


def sqs_id(value: str) -> str:
    """`value` as a MessageGroupId or MessageDeduplicationId: itself when SQS takes it as
    one, else "sha256:" and its hash, so that one value still gives one id. A hash cannot
    be mistaken for an email address or a lead id: it has no "@" and ids have no ":"."""
    if 0 < len(value) <= _SQS_ID_LENGTH and _SQS_ID_CHARACTERS.issuperset(value):
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def message_group(activity: Activity) -> str:
    """FIFO order is kept per lead: activities on different leads need no common order.

    The lead's id, or its email address, lower-cased as both are compared; an address that
    is not plain ASCII or is longer than 128 characters becomes a hash of its lower-cased
    form (see sqs_id), still one group per lead."""
    return sqs_id((activity.RelatedProspectId or activity.EmailAddress or "").lower())


def message_size(entry: SendMessageBatchRequestEntryTypeDef) -> int:
    """The bytes SQS counts against its limits: the body, and each message attribute's
    name, data type and value."""
    size = len(entry["MessageBody"].encode("utf-8", "surrogatepass"))
    for name, value in entry.get("MessageAttributes", {}).items():
        parts = (name, value["DataType"], value.get("StringValue", ""))
        size += sum(len(part.encode("utf-8", "surrogatepass")) for part in parts)
    return size


def _batches(
    sized: list[tuple[SendMessageBatchRequestEntryTypeDef, int]],
) -> Iterator[list[SendMessageBatchRequestEntryTypeDef]]:
    """The entries in order, in batches of at most 10 entries and SQS_MAX_BYTES in all."""
    batch: list[SendMessageBatchRequestEntryTypeDef] = []
    total = 0
    for entry, size in sized:
        if batch and (len(batch) == _SQS_BATCH or total + size > SQS_MAX_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(entry)
        total += size
    if batch:
        yield batch


class Intake:
    def __init__(self, queues: Queues, queue_url: str) -> None:
        self._queues = queues
        self._queue_url = queue_url
        self._fifo = is_fifo(queue_url)
        self._max_bytes: int | None = None  # the queue's MaximumMessageSize, once read

    def enqueue(self, items: list[tuple[Any, Activity, str | None]]) -> list[Enqueued]:
        """Put each (original JSON, validated activity, idempotency key) on the queue.

        The original JSON is what travels: the consumer validates it again, and nothing the
        caller sent is lost or reshaped on the way.
        """
        entries = [self._entry(str(i), *item) for i, item in enumerate(items)]
        limit = self.max_message_bytes()
        results: dict[str, Enqueued] = {}
        sendable: list[tuple[SendMessageBatchRequestEntryTypeDef, int]] = []
        for entry in entries:
            size = message_size(entry)
            if size > limit:
                error = f"the activity takes {size} bytes on the queue, which takes at most {limit}"
                results[entry["Id"]] = Enqueued(None, error, too_large=True)
            else:
                sendable.append((entry, size))
        for batch in _batches(sendable):
            results |= zip((e["Id"] for e in batch), self._send(batch), strict=True)
        return [results[entry["Id"]] for entry in entries]

    def max_message_bytes(self) -> int:
        """The queue's MaximumMessageSize, read on first use; SQS's maximum if unreadable."""
        if self._max_bytes is None:
            self._max_bytes = self._read_max_message_bytes()
        return self._max_bytes

    def _read_max_message_bytes(self) -> int:
        try:
            answer = self._queues.client.get_queue_attributes(
                QueueUrl=self._queue_url, AttributeNames=["MaximumMessageSize"]
            )
            value = int(answer["Attributes"]["MaximumMessageSize"])
        except Exception as error:
            # SQS still enforces its limit: an activity over it is then answered as not queued.
            logger.warning(
                "could not read the queue's MaximumMessageSize; assuming SQS's maximum",
                extra={"error": type(error).__name__},
            )
            return SQS_MAX_BYTES
        return value if 0 < value <= SQS_MAX_BYTES else SQS_MAX_BYTES

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
            entry["MessageDeduplicationId"] = sqs_id(deduplication)
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
