"""Rejected messages go to the DLQ with their reason; transient ones are spaced out."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from leadsquared_emulator import Emulator, Fault
from localrun.stack import LocalStack, Queues
from tests.integration.events import UNKNOWN_LEAD_ID, activity, sqs_event


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


@pytest.fixture
def queues(stack: LocalStack, set_env) -> Queues:
    created = stack.create_queues(f"activities-{uuid.uuid4().hex[:8]}", visibility_timeout=30)
    set_env(
        DEAD_LETTER_QUEUE_URL=created.dlq_url,
        RETRY_BACKOFF_BASE_SECONDS="2",
        RETRY_BACKOFF_MAX_SECONDS="8",
    )
    return created


def dead_letters(stack: LocalStack, queues: Queues) -> list[dict]:
    answer = stack.client("sqs").receive_message(
        QueueUrl=queues.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return answer.get("Messages", [])


def attributes(message: dict) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}


def receive_event(stack: LocalStack, queues: Queues, *bodies: str) -> dict:
    """Send real messages and receive them, so the event has real receipt handles."""
    sqs = stack.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=queues.url, MessageBody=body)
    received = sqs.receive_message(
        QueueUrl=queues.url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queues.arn,
                "awsRegion": "us-east-1",
            }
            for m in received
        ]
    }


def test_rejected_messages_go_to_the_dlq_with_the_reason_and_are_acknowledged(
    invoke, emulator: Emulator, stack: LocalStack, queues: Queues
):
    event = sqs_event(
        activity(ActivityNote="ok"),
        activity(ActivityEvent="not a number"),
        activity(RelatedProspectId=UNKNOWN_LEAD_ID),
        "not json",
    )
    event["Records"][3]["messageAttributes"] = {
        "IdempotencyKey": {"stringValue": "order-7", "dataType": "String"}
    }

    answer = invoke(event)

    assert failed_ids(answer) == []  # nothing is retried in vain
    letters = {
        attributes(m)["OriginalMessageId"]: (m, attributes(m)) for m in dead_letters(stack, queues)
    }
    assert set(letters) == {"msg-1", "msg-2", "msg-3"}
    body, reason = letters["msg-1"]
    assert reason["ErrorType"] == "InvalidActivity"
    assert "ActivityEvent" in reason["ErrorMessage"]
    assert body["Body"] == event["Records"][1]["body"]
    assert letters["msg-2"][1]["ErrorType"] == "MXInvalidEntityException"
    assert "does not exist" in letters["msg-2"][1]["ErrorMessage"]
    assert {"ReceiveCount", "FailedAt", "SourceQueue"} <= set(letters["msg-3"][1])
    assert letters["msg-3"][1]["IdempotencyKey"] == "order-7"
    assert len(emulator.created) == 1


def test_transient_failures_stay_on_the_queue(
    invoke, emulator: Emulator, stack: LocalStack, queues: Queues
):
    emulator.inject(Fault.HTTP_503, times=3)

    answer = invoke(sqs_event(activity()))

    assert failed_ids(answer) == ["msg-0"]
    assert dead_letters(stack, queues) == []


def test_when_the_dlq_send_fails_the_message_is_reported_failed(
    invoke, emulator: Emulator, stack: LocalStack, set_env
):
    set_env(DEAD_LETTER_QUEUE_URL=f"{stack.moto_url}/123456789012/no-such-queue")

    answer = invoke(sqs_event(activity(ActivityEvent=-1)))

    assert failed_ids(answer) == ["msg-0"]  # never dropped


def test_retries_are_spaced_out_by_the_visibility_timeout(
    invoke, emulator: Emulator, stack: LocalStack, queues: Queues
):
    emulator.inject(Fault.HTTP_503, times=3)
    event = receive_event(stack, queues, json.dumps(activity()))
    sqs = stack.client("sqs")

    answer = invoke(event)
    assert failed_ids(answer) == [event["Records"][0]["messageId"]]
    # The queue's own timeout is 30 s; the function set about 2 s (the base, first receive).
    started = time.monotonic()
    seen = []
    while not seen and time.monotonic() - started < 6:
        seen = sqs.receive_message(QueueUrl=queues.url, WaitTimeSeconds=0).get("Messages", [])
        time.sleep(0.2)
    assert seen, "the message did not come back within 6 s"
    assert 1.5 <= time.monotonic() - started <= 4.0


def test_untried_messages_come_back_after_the_base_delay(
    invoke, emulator: Emulator, stack: LocalStack, queues: Queues, set_env
):
    set_env(LEADSQUARED_CONNECT_TIMEOUT="0.5", LEADSQUARED_READ_TIMEOUT="0.5")
    event = receive_event(stack, queues, json.dumps(activity()))
    sqs = stack.client("sqs")

    answer = invoke(event, timeout_seconds=1.0)  # too little time for one call

    assert len(failed_ids(answer)) == 1
    assert emulator.received == []
    started = time.monotonic()
    assert sqs.receive_message(QueueUrl=queues.url).get("Messages", []) == []  # not at once
    again: list = []
    while not again and time.monotonic() - started < 6:
        time.sleep(0.2)
        again = sqs.receive_message(QueueUrl=queues.url).get("Messages", [])
    assert len(again) == 1
    assert 1.5 <= time.monotonic() - started <= 4.0  # RETRY_BACKOFF_BASE_SECONDS=2


def test_an_untried_message_put_back_too_often_is_dead_lettered_naming_the_time_budget(
    invoke, emulator: Emulator, stack: LocalStack, queues: Queues, set_env
):
    set_env(
        LEADSQUARED_CONNECT_TIMEOUT="0.5", LEADSQUARED_READ_TIMEOUT="0.5", MAX_RECEIVE_COUNT="5"
    )
    event = receive_event(stack, queues, json.dumps(activity()))
    record = event["Records"][0]
    record["attributes"]["ApproximateReceiveCount"] = "4"
    record["messageAttributes"] = {"PutBackCount": {"stringValue": "3", "dataType": "String"}}

    answer = invoke(event, timeout_seconds=1.0)

    assert failed_ids(answer) == []
    [letter] = dead_letters(stack, queues)
    assert letter["MessageAttributes"]["ErrorType"]["StringValue"] == "NotTried"
    reason = letter["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert "less than 2 s left" in reason and "function timeout" in reason
    assert emulator.received == []


def test_an_untried_message_is_put_back_before_its_last_receive(
    invoke, emulator: Emulator, stack: LocalStack, queues: Queues, set_env
):
    set_env(
        LEADSQUARED_CONNECT_TIMEOUT="0.5", LEADSQUARED_READ_TIMEOUT="0.5", MAX_RECEIVE_COUNT="5"
    )
    body = json.dumps(activity(ActivityNote="never tried"))
    event = receive_event(stack, queues, body)
    record = event["Records"][0]
    record["attributes"]["ApproximateReceiveCount"] = "4"  # one receive left before the DLQ
    record["messageAttributes"] = {"IdempotencyKey": {"stringValue": "k-9", "dataType": "String"}}

    answer = invoke(event, timeout_seconds=1.0)  # too little time for one call

    assert failed_ids(answer) == []  # acknowledged: a fresh copy replaces it
    copies: list = []
    started = time.monotonic()
    while not copies and time.monotonic() - started < 6:  # put back with the base delay
        time.sleep(0.2)
        copies = (
            stack.client("sqs")
            .receive_message(
                QueueUrl=queues.url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                AttributeNames=["All"],
            )
            .get("Messages", [])
        )
    fresh = [m for m in copies if m["MessageId"] != record["messageId"]]
    assert len(fresh) == 1
    assert fresh[0]["MessageAttributes"]["PutBackCount"]["StringValue"] == "1"
    # The copy keeps the original's time, so the activity is stamped with when it happened.
    assert (
        fresh[0]["MessageAttributes"]["OriginalSentTimestamp"]["StringValue"]
        == (record["attributes"]["SentTimestamp"])
    )
    assert fresh[0]["Body"] == body
    assert fresh[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert fresh[0]["MessageAttributes"]["IdempotencyKey"]["StringValue"] == "k-9"
    assert emulator.received == []


def test_an_untried_message_with_receives_left_just_comes_back(
    invoke, emulator: Emulator, stack: LocalStack, queues: Queues, set_env
):
    set_env(
        LEADSQUARED_CONNECT_TIMEOUT="0.5", LEADSQUARED_READ_TIMEOUT="0.5", MAX_RECEIVE_COUNT="5"
    )
    event = receive_event(stack, queues, json.dumps(activity()))
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "2"

    answer = invoke(event, timeout_seconds=1.0)

    assert failed_ids(answer) == [event["Records"][0]["messageId"]]
