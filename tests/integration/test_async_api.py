"""Prefer: respond-async and POST /activities/batch: validate now, queue, post later."""

from __future__ import annotations

import json
import uuid

import pytest

from leadsquared_emulator import Emulator
from localrun.stack import LocalStack, Queues
from tests.integration.events import LEAD_ID, activity, api_v1_event, api_v2_event


@pytest.fixture
def queues(stack: LocalStack, set_env) -> Queues:
    created = stack.create_queues(f"intake-{uuid.uuid4().hex[:8]}")
    set_env(ACTIVITY_QUEUE_URL=created.url)
    return created


def queued(stack: LocalStack, queues: Queues) -> list[dict]:
    messages: list[dict] = []
    sqs = stack.client("sqs")
    while batch := sqs.receive_message(
        QueueUrl=queues.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        messages += batch
    return messages


def async_event(body, **headers) -> dict:
    event = api_v1_event(body)
    event["headers"] |= {"Prefer": "respond-async", **headers}
    return event


def test_async_post_queues_the_activity_without_calling_leadsquared(
    invoke, emulator: Emulator, stack: LocalStack, queues: Queues
):
    body = activity(ActivityNote="later")

    answer = invoke(async_event(body))

    assert answer["statusCode"] == 202
    assert answer["multiValueHeaders"]["Preference-Applied"] == ["respond-async"]
    [message] = queued(stack, queues)
    assert json.loads(answer["body"]) == {"status": "queued", "messageId": message["MessageId"]}
    assert json.loads(message["Body"]) == body
    assert emulator.received == []


def test_async_post_validates_at_once(invoke, emulator: Emulator, stack: LocalStack, queues):
    answer = invoke(async_event(activity(ActivityEvent=0)))

    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["errors"][0]["field"] == "ActivityEvent"
    assert queued(stack, queues) == []


def test_async_post_carries_the_idempotency_key(invoke, stack: LocalStack, queues: Queues):
    invoke(async_event(activity(), **{"Idempotency-Key": "form-99"}))

    [message] = queued(stack, queues)
    assert message["MessageAttributes"]["IdempotencyKey"]["StringValue"] == "form-99"


def test_prefer_among_other_preferences(invoke, stack: LocalStack, queues: Queues):
    event = api_v2_event(activity())
    event["headers"]["prefer"] = "return=minimal, respond-async, wait=5"

    assert invoke(event)["statusCode"] == 202


def test_without_a_queue_the_async_mode_is_a_configuration_error(invoke, set_env):
    set_env(ACTIVITY_QUEUE_URL=None)

    answer = invoke(async_event(activity()))

    assert answer["statusCode"] == 500
    assert "ACTIVITY_QUEUE_URL" in json.loads(answer["body"])["message"]


def test_batch_answers_per_item(invoke, emulator: Emulator, stack: LocalStack, queues: Queues):
    items = [activity(ActivityNote=f"n{i}") for i in range(12)]
    items[3] = activity(ActivityNotes="typo")
    items[7] = {"RelatedProspectId": LEAD_ID}

    answer = invoke(api_v1_event(items, path="/activities/batch"))

    assert answer["statusCode"] == 202
    body = json.loads(answer["body"])
    assert (body["queued"], body["invalid"], body["failed"]) == (10, 2, 0)
    assert [r["index"] for r in body["results"]] == list(range(12))
    assert body["results"][3]["errors"][0]["field"] == "ActivityNotes"
    assert body["results"][7]["errors"][0]["field"] == "ActivityEvent"
    messages = queued(stack, queues)
    assert {m["MessageId"] for m in messages} == {
        r["messageId"] for r in body["results"] if r["status"] == "queued"
    }
    assert emulator.received == []


@pytest.mark.parametrize("body", [[], [activity()] * 26, {"activity": []}, "text"])
def test_batch_refuses_a_body_that_is_not_1_to_25_activities(invoke, queues, body):
    answer = invoke(api_v1_event(body, path="/activities/batch"))

    assert answer["statusCode"] == 400


def test_batch_of_only_invalid_items_is_400(invoke, queues):
    answer = invoke(api_v1_event({"activities": [{"x": 1}]}, path="/activities/batch"))

    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["invalid"] == 1


def test_queued_activities_are_posted_by_the_queue_consumer(
    invoke, emulator: Emulator, stack: LocalStack, queues: Queues
):
    invoke(async_event(activity(ActivityNote="via the queue")))
    [message] = queued(stack, queues)
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": queues.arn,
        "awsRegion": "us-east-1",
    }

    answer = invoke({"Records": [record]})

    assert answer == {"batchItemFailures": []}
    assert emulator.created[0].body["ActivityNote"] == "via the queue"
