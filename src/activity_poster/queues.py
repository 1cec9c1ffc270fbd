"""The SQS calls the function makes itself: dead-lettering with reasons, spacing retries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3

from activity_poster.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import ChangeMessageVisibilityBatchRequestEntryTypeDef

# SQS allows 256 KiB per message; an attribute this long is already more than anyone reads.
_MAX_ATTRIBUTE = 1024
# The message attribute that carries an activity's idempotency key.
IDEMPOTENCY_ATTRIBUTE = "IdempotencyKey"
# When the first copy of a message was sent (ms since the epoch), kept on every copy the
# function makes (put back, dead letter), so the activity keeps the time it happened.
SENT_AT_ATTRIBUTE = "OriginalSentTimestamp"
# How many times a message that was never tried has been put back as a fresh copy.
PUT_BACK_ATTRIBUTE = "PutBackCount"
# Set on the copy of a message whose activity may exist (an answer was lost): it is looked
# up before it is posted again.
MAY_EXIST_ATTRIBUTE = "MayExist"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    body: str
    error_type: str
    error_message: str
    original_message_id: str
    receive_count: str
    source_queue: str
    message_group_id: str | None = None
    # Kept so that a redriven message is still deduplicated under the caller's key.
    idempotency_key: str | None = None
    # Kept so that a redriven activity keeps the time it happened.
    sent_at: str | None = None


def is_fifo(queue: str) -> bool:
    """Whether a queue's URL or ARN names a FIFO queue."""
    return queue.endswith(".fifo")


def queue_url(client: SQSClient, arn: str) -> str:
    """arn:aws:sqs:REGION:ACCOUNT:NAME -> the queue's URL on the client's endpoint."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise ValueError(f"not an SQS queue ARN: {arn!r}")
    return f"{client.meta.endpoint_url}/{parts[4]}/{parts[5]}"


class Queues:
    """A boto3 SQS client, created on first use: a batch where every message is delivered
    never pays for it."""

    def __init__(self) -> None:
        self._client: SQSClient | None = None

    @property
    def client(self) -> SQSClient:
        if self._client is None:
            self._client = boto3.client("sqs")
        return self._client

    def dead_letter(self, queue_url: str, letter: DeadLetter) -> bool:
        """Send `letter` to the DLQ; False (and logged) if SQS did not take it."""
        attributes = {
            "ErrorType": letter.error_type,
            "ErrorMessage": letter.error_message,
            "OriginalMessageId": letter.original_message_id,
            "ReceiveCount": letter.receive_count,
            "FailedAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "SourceQueue": letter.source_queue,
            IDEMPOTENCY_ATTRIBUTE: letter.idempotency_key or "",
            SENT_AT_ATTRIBUTE: letter.sent_at or "",
        }
        request: dict[str, Any] = {
            "QueueUrl": queue_url,
            "MessageBody": letter.body or "(empty body)",
            "MessageAttributes": {
                name: {"DataType": "String", "StringValue": value[:_MAX_ATTRIBUTE]}
                for name, value in attributes.items()
                if value
            },
        }
        if is_fifo(queue_url):
            request["MessageGroupId"] = letter.message_group_id or "dead-letters"
            request["MessageDeduplicationId"] = letter.original_message_id[:128]
        try:
            self.client.send_message(**request)
        except Exception as error:
            logger.error(
                "could not move the message to the dead-letter queue; it stays on the queue",
                extra={
                    "error": type(error).__name__,
                    "original_message_id": letter.original_message_id,
                },
            )
            return False
        return True

    def requeue(
        self,
        queue_arn: str,
        body: str,
        lambda_attributes: dict[str, Any],
        *,
        replace: dict[str, str],
        delay_seconds: int,
    ) -> bool:
        """Send a copy of a message (body and String attributes, `replace` set over them) to
        its own queue, visible after `delay_seconds`."""
        attributes = {
            name: {"DataType": "String", "StringValue": value["stringValue"]}
            for name, value in lambda_attributes.items()
            if isinstance(value, dict)
            and isinstance(value.get("stringValue"), str)
            and str(value.get("dataType", "String")).startswith("String")
        } | {name: {"DataType": "String", "StringValue": value} for name, value in replace.items()}
        try:
            self.client.send_message(
                QueueUrl=queue_url(self.client, queue_arn),
                MessageBody=body or "(empty body)",
                MessageAttributes=attributes,  # type: ignore[arg-type]
                DelaySeconds=min(900, delay_seconds),  # SQS's maximum
            )
        except Exception as error:
            logger.warning("could not put the message back", extra={"error": type(error).__name__})
            return False
        return True

    def delay_retries(self, queue_arn: str, delays: dict[str, int]) -> None:
        """Set each message's visibility timeout (receipt handle -> seconds); best effort."""
        if not delays:
            return
        try:
            url = queue_url(self.client, queue_arn)
            items = list(delays.items())
            for start in range(0, len(items), 10):
                entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                    {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": seconds}
                    for i, (handle, seconds) in enumerate(items[start : start + 10])
                ]
                answer = self.client.change_message_visibility_batch(QueueUrl=url, Entries=entries)
                if answer.get("Failed"):
                    logger.warning(
                        "some retry delays were not set",
                        extra={"failed": [f.get("Code") for f in answer["Failed"]]},
                    )
        except Exception as error:
            # The messages are retried anyway, after the queue's own visibility timeout.
            logger.warning("could not space out retries", extra={"error": type(error).__name__})
