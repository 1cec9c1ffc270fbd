"""The SQS poller stand-in itself: the event it builds and what it deletes, with stub handlers."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import pytest

from localrun.poller import SqsPoller
from localrun.stack import LocalStack, Queues


@pytest.fixture
def queues(stack: LocalStack) -> Queues:
    return stack.create_queues(f"poller-{uuid.uuid4().hex[:8]}", visibility_timeout=30)


def send(stack: LocalStack, queues: Queues, *bodies: str, **attributes: Any) -> None:
    sqs = stack.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=queues.url, MessageBody=body, MessageAttributes=attributes)


def left_on_queue(stack: LocalStack, queues: Queues) -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=queues.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def test_the_event_is_shaped_as_lambda_shapes_it(stack: LocalStack, queues: Queues):
    send(
        stack,
        queues,
        '{"a": 1}',
        Source={"DataType": "String", "StringValue": "billing"},
        Blob={"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    )
    events: list[dict[str, Any]] = []
    remaining: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        remaining.append(context.get_remaining_time_in_millis())
        return {"batchItemFailures": []}

    poller = SqsPoller(stack.client("sqs"), queues.url, queues.arn, handler, timeout_seconds=3)
    result = poller.poll_once()

    record = events[0]["Records"][0]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "md5OfMessageAttributes",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert record["body"] == '{"a": 1}'
    assert record["md5OfBody"] == hashlib.md5(b'{"a": 1}').hexdigest()
    assert list(record["attributes"])[:4] == [
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    ]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["Source"] == {
        "stringValue": "billing",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["Blob"]["binaryValue"] == "AAE="
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
        "aws:sqs",
        queues.arn,
        "us-east-1",
    )
    assert 2000 < remaining[0] <= 3000
    assert (result.received, result.deleted, result.failed) == (1, 1, 0)
    assert left_on_queue(stack, queues) == 0


def test_only_the_reported_failures_stay(stack: LocalStack, queues: Queues):
    send(stack, queues, "keep", "drop", "keep")

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "keep"
            ]
        }

    result = SqsPoller(stack.client("sqs"), queues.url, queues.arn, handler).poll_once()

    assert (result.received, result.deleted, result.failed) == (3, 1, 2)
    assert left_on_queue(stack, queues) == 2


@pytest.mark.parametrize(
    ("answer", "deleted"),
    [
        (None, 2),  # an empty answer: all done
        ({}, 2),
        ({"batchItemFailures": None}, 2),
        ({"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}, 0),  # Lambda: all failed
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, 0),
        ("not a mapping", 0),
    ],
)
def test_answers_lambda_accepts_or_rejects(stack: LocalStack, queues: Queues, answer, deleted):
    send(stack, queues, "one", "two")
    poller = SqsPoller(stack.client("sqs"), queues.url, queues.arn, lambda event, context: answer)

    result = poller.poll_once()

    assert result.deleted == deleted
    assert (result.error is not None) == (deleted == 0)


def test_an_invocation_that_raises_or_overruns_deletes_nothing(stack: LocalStack, queues: Queues):
    send(stack, queues, "one", "two")

    def raising(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("boom")

    sqs = stack.client("sqs")
    raised = SqsPoller(sqs, queues.url, queues.arn, raising, visibility_timeout=0).poll_once()

    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        time.sleep(0.3)
        return {"batchItemFailures": []}

    poller = SqsPoller(sqs, queues.url, queues.arn, slow, timeout_seconds=0.2)
    overran = poller.poll_once()

    assert (raised.received, raised.deleted, raised.error) == (2, 0, "RuntimeError: boom")
    assert (overran.received, overran.deleted, overran.timed_out) == (2, 0, True)
    assert (poller.stats.invocations, poller.stats.timeouts) == (1, 1)
    assert left_on_queue(stack, queues) == 2


def test_a_batch_above_ten_takes_several_receives(stack: LocalStack, queues: Queues):
    sqs = stack.client("sqs")
    for start in range(0, 25, 10):
        sqs.send_message_batch(
            QueueUrl=queues.url,
            Entries=[
                {"Id": str(i), "MessageBody": str(i)} for i in range(start, min(start + 10, 25))
            ],
        )
    sizes: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        sizes.append(len(event["Records"]))

    poller = SqsPoller(sqs, queues.url, queues.arn, handler, batch_size=20)
    drained = poller.drain(max_seconds=10)

    assert drained.empty
    assert sizes == [20, 5]
    assert (drained.stats.deleted, drained.stats.invocations) == (25, 2)
