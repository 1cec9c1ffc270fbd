"""Plays Lambda's SQS event source mapping against a queue on moto, one batch at a time.

    poller = SqsPoller(sqs, queues.url, queues.arn, lambda_handler, timeout_seconds=3)
    result = poller.poll_once()     # one batch, one invocation, the deletes
    summary = poller.drain(max_seconds=60)

What it does as Lambda does (with ReportBatchItemFailures on):

- receives up to `batch_size` messages with every system and message attribute (above 10,
  SQS's limit per call, with several ReceiveMessage calls, as Lambda does), and hands
  the handler an event shaped exactly like Lambda's (`Records` with `messageId`,
  `receiptHandle`, `body`, `attributes`, `messageAttributes` in Lambda's lower-camel format,
  `md5OfBody`, `eventSource`, `eventSourceARN`, `awsRegion`);
- gives the handler a context with a real deadline (`timeout_seconds` from the start of the
  invocation);
- deletes every message the answer does not list in `batchItemFailures`, and leaves the rest:
  they come back after their visibility timeout, and the queue's redrive policy moves them to
  the dead-letter queue after `maxReceiveCount` receives;
- treats an invocation that raised, that ran longer than `timeout_seconds` (wall time), or
  whose answer is malformed, as a failure of the whole batch: nothing is deleted.

What it does not do: it cannot stop a handler that overruns its timeout (the overrun is
measured, counted and treated as a failed invocation), it runs one invocation at a time, and
it has no batching window: a batch is what the queue holds when the poll starts. Run several
pollers in threads for concurrency; each instance keeps its own counters and is meant to be
used from one thread. (Pollers in threads of one process share the function's container
state, such as its rate limiter: they model one container, not several.)
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from localrun.context import LocalLambdaContext

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeFilterType
    from mypy_boto3_sqs.type_defs import (
        DeleteMessageBatchRequestEntryTypeDef,
        MessageAttributeValueOutputTypeDef,
        MessageTypeDef,
    )

Handler = Callable[[dict[str, Any], LambdaContext], Any]

# The order Lambda lists the system attributes in; any others SQS returns follow.
_LEADING_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
)
_QUEUE_SIZE_ATTRIBUTES: list[QueueAttributeFilterType] = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]
SQS_MAX_BATCH = 10  # messages per ReceiveMessage and per DeleteMessageBatch call
LAMBDA_MAX_BATCH = 10_000  # BatchSize of an event source mapping on a standard queue


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did. `failed` counts the messages left on the queue."""

    received: int
    deleted: int = 0
    failed: int = 0
    invoked: bool = False
    timed_out: bool = False
    error: str | None = None
    seconds: float = 0.0
    answer: Any = None
    failed_message_ids: tuple[str, ...] = ()
    event: dict[str, Any] | None = None


@dataclass(slots=True)
class PollerStats:
    """Running totals over every poll of one poller."""

    polls: int = 0
    empty_polls: int = 0
    invocations: int = 0
    timeouts: int = 0
    errors: int = 0
    received: int = 0
    deleted: int = 0
    failed: int = 0
    delete_failures: int = 0
    longest_invocation: float = 0.0
    error_messages: list[str] = field(default_factory=list)

    def add(self, result: PollResult, delete_failures: int) -> None:
        self.polls += 1
        self.received += result.received
        self.deleted += result.deleted
        self.failed += result.failed
        self.delete_failures += delete_failures
        if not result.invoked:
            self.empty_polls += 1
            return
        self.invocations += 1
        self.longest_invocation = max(self.longest_invocation, result.seconds)
        if result.timed_out:
            self.timeouts += 1
        if result.error is not None:
            self.errors += 1
            self.error_messages.append(result.error)

    def snapshot(self) -> PollerStats:
        return replace(self, error_messages=list(self.error_messages))


@dataclass(frozen=True, slots=True)
class DrainResult:
    """How a drain ended: `empty` is False when `max_seconds` ran out first."""

    empty: bool
    seconds: float
    stats: PollerStats


class SqsPoller:
    def __init__(
        self,
        sqs_client: SQSClient,
        queue_url: str,
        queue_arn: str,
        handler: Handler,
        *,
        batch_size: int = SQS_MAX_BATCH,
        timeout_seconds: float = 30.0,
        wait_seconds: int = 0,
        visibility_timeout: int | None = None,
        region: str | None = None,
        context_factory: Callable[[float], LambdaContext] | None = None,
    ) -> None:
        """`visibility_timeout` None keeps the queue's own; `region` defaults to the ARN's."""
        if not 1 <= batch_size <= LAMBDA_MAX_BATCH:
            raise ValueError(
                f"batch_size must be between 1 and {LAMBDA_MAX_BATCH}, got {batch_size}"
            )
        if not timeout_seconds > 0:
            raise ValueError(f"timeout_seconds must be above zero, got {timeout_seconds}")
        if not 0 <= wait_seconds <= 20:
            raise ValueError(f"wait_seconds must be between 0 and 20, got {wait_seconds}")
        arn_parts = queue_arn.split(":")
        if len(arn_parts) != 6 or arn_parts[2] != "sqs":
            raise ValueError(f"not an SQS queue ARN: {queue_arn!r}")
        self._sqs = sqs_client
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self._handler = handler
        self.batch_size = batch_size
        self.timeout_seconds = timeout_seconds
        self.wait_seconds = wait_seconds
        self.visibility_timeout = visibility_timeout
        self.region = region or arn_parts[3]
        self._context_factory = context_factory or _local_context
        self.stats = PollerStats()

    # -- one poll ------------------------------------------------------------------------------

    def poll_once(self) -> PollResult:
        """Receive one batch, invoke the handler on it, delete what it did not report failed."""
        messages = self.receive()
        if not messages:
            result = PollResult(received=0)
            self.stats.add(result, 0)
            return result
        event = self.lambda_event(messages)
        context = self._context_factory(self.timeout_seconds)
        started = time.monotonic()
        answer: Any = None
        error: str | None = None
        try:
            answer = self._handler(event, context)
        except Exception as exception:  # the invocation failed: the batch stays
            error = f"{type(exception).__name__}: {exception}"
        seconds = time.monotonic() - started
        timed_out = seconds > self.timeout_seconds

        handles = {m["MessageId"]: m["ReceiptHandle"] for m in messages}
        failed_ids: Sequence[str]
        if timed_out or error is not None:
            failed_ids = list(handles)
        else:
            reported = _reported_failures(answer, set(handles))
            if reported is None:
                error = f"invalid batch response: {answer!r}"[:500]
                failed_ids = list(handles)
            else:
                failed_ids = reported
        failed = set(failed_ids)
        to_delete = [(mid, h) for mid, h in handles.items() if mid not in failed]
        delete_failures = self._delete(to_delete)
        result = PollResult(
            received=len(messages),
            deleted=len(to_delete) - delete_failures,
            failed=len(failed),
            invoked=True,
            timed_out=timed_out,
            error=error,
            seconds=seconds,
            answer=answer,
            failed_message_ids=tuple(mid for mid in handles if mid in failed),
            event=event,
        )
        self.stats.add(result, delete_failures)
        return result

    def receive(self) -> list[MessageTypeDef]:
        """Up to `batch_size` messages: ReceiveMessage until the batch is full or a call
        returns nothing (only the first call waits `wait_seconds`)."""
        messages: list[MessageTypeDef] = []
        seen: set[str] = set()
        while len(messages) < self.batch_size:
            wanted = min(SQS_MAX_BATCH, self.batch_size - len(messages))
            received = self._receive(wanted, self.wait_seconds if not messages else 0)
            fresh = [m for m in received if m["MessageId"] not in seen]
            if not fresh:
                break
            seen.update(m["MessageId"] for m in fresh)
            messages.extend(fresh)
        return messages

    def _receive(self, count: int, wait_seconds: int) -> list[MessageTypeDef]:
        request: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": count,
            "WaitTimeSeconds": wait_seconds,
            # "All" covers ApproximateReceiveCount and, on FIFO queues, MessageGroupId.
            "AttributeNames": ["All"],
            "MessageSystemAttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        if self.visibility_timeout is not None:
            request["VisibilityTimeout"] = self.visibility_timeout
        return list(self._sqs.receive_message(**request).get("Messages", []))

    def lambda_event(self, messages: Sequence[MessageTypeDef]) -> dict[str, Any]:
        """The event Lambda would build from these messages."""
        return {"Records": [self.lambda_record(m) for m in messages]}

    def lambda_record(self, message: MessageTypeDef) -> dict[str, Any]:
        body = message.get("Body", "")
        raw_attributes = {str(k): v for k, v in message.get("Attributes", {}).items()}
        attributes = {k: raw_attributes[k] for k in _LEADING_ATTRIBUTES if k in raw_attributes}
        attributes |= {k: v for k, v in raw_attributes.items() if k not in attributes}
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": attributes,
            "messageAttributes": {
                name: _lambda_attribute(value)
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - SQS's checksum
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        record |= {
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }
        return record

    def _delete(self, entries: Sequence[tuple[str, str]]) -> int:
        """Delete (message id, receipt handle) pairs; returns how many SQS did not delete."""
        failures = 0
        for start in range(0, len(entries), SQS_MAX_BATCH):
            chunk: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": handle}
                for i, (_, handle) in enumerate(entries[start : start + SQS_MAX_BATCH])
            ]
            answer = self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=chunk)
            failures += len(answer.get("Failed", []))
        return failures

    # -- until the queue is empty ------------------------------------------------------------

    def queue_size(self) -> int:
        """Visible, in-flight and delayed messages on the queue (exact on moto)."""
        answer = self._sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=_QUEUE_SIZE_ATTRIBUTES
        )
        attributes = {str(k): v for k, v in answer.get("Attributes", {}).items()}
        return sum(int(attributes.get(name) or "0") for name in _QUEUE_SIZE_ATTRIBUTES)

    def drain(
        self,
        *,
        until_empty_for: float = 0.0,
        max_seconds: float = 60.0,
        idle_sleep: float = 0.05,
        on_poll: Callable[[PollResult], None] | None = None,
    ) -> DrainResult:
        """Poll until the queue has held no message for `until_empty_for` seconds, or until
        `max_seconds` have passed. Messages waiting out a visibility timeout count as held:
        the drain waits for them. `on_poll` sees every poll that invoked the handler."""
        started = time.monotonic()
        empty_since: float | None = None
        while True:
            result = self.poll_once()
            if result.invoked:
                empty_since = None
                if on_poll is not None:
                    on_poll(result)
            now = time.monotonic()
            if not result.invoked:
                if self.queue_size() == 0:
                    empty_since = now if empty_since is None else empty_since
                    if now - empty_since >= until_empty_for:
                        return DrainResult(True, now - started, self.stats.snapshot())
                else:
                    empty_since = None
            if now - started >= max_seconds:
                return DrainResult(False, now - started, self.stats.snapshot())
            if not result.invoked and self.wait_seconds == 0:
                time.sleep(idle_sleep)


def _local_context(timeout_seconds: float) -> LambdaContext:
    return LocalLambdaContext(timeout_seconds=timeout_seconds).as_lambda_context()


def _lambda_attribute(value: MessageAttributeValueOutputTypeDef) -> dict[str, Any]:
    """SQS's `{"StringValue", "DataType"}` as Lambda writes it: lower camel case, binary
    values in base64, the list fields always present."""
    converted: dict[str, Any] = {}
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    converted["stringListValues"] = list(value.get("StringListValues", []))
    converted["binaryListValues"] = [
        base64.b64encode(item).decode() for item in value.get("BinaryListValues", [])
    ]
    converted["dataType"] = value["DataType"]
    return converted


def _reported_failures(answer: Any, batch: set[str]) -> list[str] | None:
    """The message ids a partial batch response reports failed; None if Lambda would reject
    the answer (and so fail the whole batch). An empty or missing answer means all done."""
    if answer is None:
        return []
    if not isinstance(answer, Mapping):
        return None
    failures = answer.get("batchItemFailures")
    if failures is None:
        return []
    if not isinstance(failures, list):
        return None
    ids: list[str] = []
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, Mapping) else None
        if not isinstance(identifier, str) or identifier not in batch:
            return None
        ids.append(identifier)
    return ids
