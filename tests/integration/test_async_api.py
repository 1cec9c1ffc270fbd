"""Prefer: respond-async and POST /activities/batch: validate now, queue, post later."""

from __future__ import annotations

import json
import re
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


def test_without_a_queue_the_async_mode_is_a_configuration_error(invoke, set_env, logs):
    set_env(ACTIVITY_QUEUE_URL=None)
    event = async_event(activity())

    answer = invoke(event)

    assert answer["statusCode"] == 503
    assert answer["multiValueHeaders"]["Retry-After"] == ["30"]
    assert json.loads(answer["body"]) == {
        "message": "the service is misconfigured; retry later",
        "requestId": event["requestContext"]["requestId"],
    }
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    [error] = [line for line in lines if line["level"] == "ERROR"]
    assert "ACTIVITY_QUEUE_URL is not set" in error["message"]


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


def limit_messages(stack: LocalStack, queues: Queues, size: int) -> None:
    stack.client("sqs").set_queue_attributes(
        QueueUrl=queues.url, Attributes={"MaximumMessageSize": str(size)}
    )


def test_an_activity_larger_than_the_queue_takes_is_413_not_retried(
    invoke, emulator: Emulator, stack: LocalStack, queues: Queues
):
    limit_messages(stack, queues, 1024)

    answer = invoke(async_event(activity(ActivityNote="x" * 1024)))

    assert answer["statusCode"] == 413
    assert "Retry-After" not in answer["multiValueHeaders"]
    message = json.loads(answer["body"])["message"]
    assert "at most 1024" in message
    assert "without Prefer: respond-async" in message
    assert queued(stack, queues) == []
    assert emulator.received == []


def test_the_message_size_counts_the_idempotency_key(invoke, stack: LocalStack, queues: Queues):
    limit_messages(stack, queues, 1024)
    body = activity(ActivityNote="x" * 900)  # the body alone fits

    answer = invoke(async_event(body, **{"Idempotency-Key": "k" * 200}))

    assert answer["statusCode"] == 413
    assert queued(stack, queues) == []


def test_one_activity_too_large_for_the_queue_does_not_fail_its_batch(
    invoke, stack: LocalStack, queues: Queues
):
    limit_messages(stack, queues, 1024)
    items = [activity(ActivityNote=f"n{i}") for i in range(10)]
    items[4] = activity(ActivityNote="x" * 2000)

    answer = invoke(api_v1_event(items, path="/activities/batch"))

    assert answer["statusCode"] == 202
    body = json.loads(answer["body"])
    counts = {name: body[name] for name in ("queued", "invalid", "failed", "too_large")}
    assert counts == {"queued": 9, "invalid": 0, "failed": 0, "too_large": 1}
    assert body["results"][4]["status"] == "too_large"
    assert "at most 1024" in body["results"][4]["error"]
    assert len(queued(stack, queues)) == 9


def test_a_batch_of_only_activities_too_large_for_the_queue_is_413(
    invoke, stack: LocalStack, queues: Queues
):
    limit_messages(stack, queues, 1024)
    items = [activity(ActivityNote="x" * 2000), {"ActivityEvent": 212}]

    answer = invoke(api_v1_event(items, path="/activities/batch"))

    assert answer["statusCode"] == 413
    assert [r["status"] for r in json.loads(answer["body"])["results"]] == ["too_large", "invalid"]


def test_batches_sent_to_sqs_stay_under_its_total_size_limit(stack: LocalStack, queues: Queues):
    from activity_poster.adapters.intake import Intake
    from activity_poster.models import parse_activity
    from activity_poster.queues import Queues as Sqs

    # Ten activities of 200 kB: each fits in a message, all ten are twice what a
    # SendMessageBatch may carry.
    items = [activity(ActivityNote=f"{i}" + "x" * 200_000) for i in range(10)]
    assert sum(len(json.dumps(item)) for item in items) > 1024 * 1024

    results = Intake(Sqs(), queues.url).enqueue([(i, parse_activity(i), None) for i in items])

    assert all(result.message_id for result in results), results
    assert len(queued(stack, queues)) == 10


def drain_fifo(stack: LocalStack, url: str) -> list[dict]:
    """Every message, deleting each as it comes: a FIFO queue hands out a group's next
    message only once the one before is gone."""
    sqs = stack.client("sqs")
    messages: list[dict] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", []):
        messages += batch
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def valid_sqs_id(value: str) -> bool:
    """What SQS takes as a MessageGroupId or MessageDeduplicationId."""
    return re.fullmatch(r"[!-~]{1,128}", value) is not None


@pytest.fixture
def fifo(stack: LocalStack, set_env) -> Queues:
    created = stack.create_queues(f"intake-{uuid.uuid4().hex[:8]}", fifo=True)
    set_env(ACTIVITY_QUEUE_URL=created.url)
    return created


def test_fifo_message_groups_are_valid_for_sqs_and_one_per_lead(
    invoke, stack: LocalStack, fifo: Queues
):
    long_email = "a" * 150 + "@Example.org"
    leads = {
        "unicode": ["Zoë.Müller@example.org", "ZOË.MÜLLER@EXAMPLE.ORG"],
        "long": [long_email, long_email.upper()],
        "ascii": ["Plain.Lead@Example.org", "plain.lead@example.org"],
        "id": [LEAD_ID, LEAD_ID.upper()],
    }
    items = []
    for name, ways in leads.items():
        for way in ways:
            lead = {"RelatedProspectId": None, "EmailAddress": way}
            if name == "id":
                lead = {"RelatedProspectId": way}
            items.append(activity(ActivityNote=f"{name} {way}", **lead))

    answer = invoke(api_v1_event(items, path="/activities/batch"))

    assert answer["statusCode"] == 202
    assert json.loads(answer["body"])["queued"] == len(items)
    groups: dict[str, set[str]] = {}
    for message in drain_fifo(stack, fifo.url):
        name = json.loads(message["Body"])["ActivityNote"].split(" ")[0]
        groups.setdefault(name, set()).add(message["Attributes"]["MessageGroupId"])
    assert set(groups) == set(leads)
    for name, ids in groups.items():
        assert len(ids) == 1, (name, ids)  # one group per lead, whatever the case
        assert all(valid_sqs_id(group) for group in ids), (name, ids)
    assert groups["ascii"] == {"plain.lead@example.org"}
    assert groups["id"] == {LEAD_ID.lower()}
    assert len(set.union(*groups.values())) == len(leads)


def test_fifo_deduplication_ids_are_valid_for_sqs_and_one_per_key(
    invoke, stack: LocalStack, fifo: Queues
):
    tail = "-" + "x" * 130  # two keys alike in their last 128 characters
    keys = ["order-1" + tail, "order-2" + tail, "facture n° 42", "ok-key"]

    for index, key in enumerate(keys):
        body = activity(ActivityNote=f"n{index}")
        assert invoke(async_event(body, **{"Idempotency-Key": key}))["statusCode"] == 202
    assert (
        invoke(async_event(activity(ActivityNote="n3"), **{"Idempotency-Key": "ok-key"}))[
            "statusCode"
        ]
        == 202
    )  # the same activity again: SQS drops the copy

    messages = drain_fifo(stack, fifo.url)

    assert sorted(json.loads(m["Body"])["ActivityNote"] for m in messages) == [
        "n0",
        "n1",
        "n2",
        "n3",
    ]
    ids = [m["Attributes"]["MessageDeduplicationId"] for m in messages]
    assert all(valid_sqs_id(i) for i in ids), ids
    assert "ok-key" in ids  # a key SQS takes as it is stays as it is
