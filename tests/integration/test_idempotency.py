"""Nothing posted twice: Powertools Idempotency on DynamoDB (moto), keyed per activity."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from leadsquared_emulator import Emulator, Fault
from localrun.stack import LocalStack
from tests.integration.events import activity, api_v1_event, sqs_event, sqs_record


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


@pytest.fixture
def idempotent(stack: LocalStack, set_env) -> str:
    table = stack.create_idempotency_table(f"idempotency-{uuid.uuid4().hex[:8]}")
    set_env(IDEMPOTENCY_TABLE_NAME=table)
    return table


def test_a_redelivered_message_is_not_posted_again(invoke, emulator: Emulator, idempotent):
    event = sqs_event(activity())

    first = invoke(event)
    second = invoke(event)  # SQS delivers at least once

    assert failed_ids(first) == failed_ids(second) == []
    assert len(emulator.created) == 1
    assert len(emulator.received) == 1


def test_the_same_activity_sent_twice_upstream_is_posted_once(
    invoke, emulator: Emulator, idempotent
):
    body = activity(ActivityDateTime="2025-06-03 09:41:07")
    same_instant = activity(ActivityDateTime="2025-06-03T15:11:07+05:30")  # normalised equal

    invoke({"Records": [sqs_record(body, "first")]})
    answer = invoke({"Records": [sqs_record(same_instant, "second")]})

    assert failed_ids(answer) == []
    assert len(emulator.created) == 1


def test_different_activities_are_all_posted(invoke, emulator: Emulator, idempotent):
    invoke(sqs_event(activity(ActivityNote="a"), activity(ActivityNote="b")))

    assert len(emulator.created) == 2


def test_body_key_wins_and_is_never_sent_to_leadsquared(invoke, emulator: Emulator, idempotent):
    invoke(sqs_event(activity(ActivityNote="first", IdempotencyKey="order-42")))
    invoke(sqs_event(activity(ActivityNote="first", IdempotencyKey="order-42")))

    assert [c.body["ActivityNote"] for c in emulator.created] == ["first"]
    assert "IdempotencyKey" not in emulator.received[0].json


def test_message_attribute_key(invoke, emulator: Emulator, idempotent):
    def with_key(note: str, key: str) -> dict:
        record = sqs_record(activity(ActivityNote=note))
        record["messageAttributes"] = {"IdempotencyKey": {"stringValue": key, "dataType": "String"}}
        return {"Records": [record]}

    invoke(with_key("first", "k-1"))
    invoke(with_key("first", "k-1"))
    invoke(with_key("third", "k-2"))

    assert [c.body["ActivityNote"] for c in emulator.created] == ["first", "third"]


def test_api_header_key_answers_with_the_original_activity(invoke, emulator: Emulator, idempotent):
    def request(note: str) -> dict:
        event = api_v1_event(activity(ActivityNote=note))
        event["headers"]["Idempotency-Key"] = "web-form-7"
        return event

    first = invoke(request("first"))
    second = invoke(request("first"))  # retried by the caller

    assert first["statusCode"] == second["statusCode"] == 201
    assert json.loads(second["body"]) == json.loads(first["body"])
    assert second["multiValueHeaders"]["Idempotent-Replayed"] == ["true"]
    assert "Idempotent-Replayed" not in first.get("multiValueHeaders", {})
    assert len(emulator.created) == 1


def test_a_failed_delivery_leaves_no_record(invoke, emulator: Emulator, idempotent):
    emulator.inject(Fault.HTTP_503, times=3)
    event = sqs_event(activity())

    assert failed_ids(invoke(event)) == ["msg-0"]
    assert failed_ids(invoke(event)) == []  # the retry is posted, not skipped
    assert len(emulator.created) == 1


def test_off_without_a_table(invoke, emulator: Emulator, set_env):
    set_env(IDEMPOTENCY_TABLE_NAME=None)
    event = sqs_event(activity())

    invoke(event)
    invoke(event)

    assert len(emulator.created) == 2


def keyed(body: dict, key: str, queue: str = "activities") -> dict:
    record = sqs_record(body)
    record["messageAttributes"] = {"IdempotencyKey": {"stringValue": key, "dataType": "String"}}
    record["eventSourceARN"] = f"arn:aws:sqs:us-east-1:123456789012:{queue}"
    return {"Records": [record]}


def test_a_key_reused_for_another_activity_is_a_conflict_never_a_replay(
    invoke, emulator: Emulator, stack: LocalStack, idempotent, set_env
):
    queues = stack.create_queues(f"reuse-{uuid.uuid4().hex[:8]}")
    set_env(DEAD_LETTER_QUEUE_URL=queues.dlq_url)
    a = activity(ActivityNote="A", ActivityEvent=212)
    b = activity(ActivityNote="B", ActivityEvent=213)

    invoke(keyed(a, "1"))
    answer = invoke(keyed(b, "1"))

    assert failed_ids(answer) == []  # dead-lettered with the reason
    assert [c.body["ActivityNote"] for c in emulator.created] == ["A"]
    [letter] = stack.client("sqs").receive_message(
        QueueUrl=queues.dlq_url, MessageAttributeNames=["All"]
    )["Messages"]
    assert letter["MessageAttributes"]["ErrorType"]["StringValue"] == "IdempotencyKeyReused"
    assert "'1'" in letter["MessageAttributes"]["ErrorMessage"]["StringValue"]


def test_two_queues_keys_never_meet(invoke, emulator: Emulator, idempotent):
    invoke(keyed(activity(ActivityNote="billing 1"), "1", queue="billing"))
    answer = invoke(keyed(activity(ActivityNote="calls 1"), "1", queue="call-centre"))

    assert failed_ids(answer) == []
    assert sorted(c.body["ActivityNote"] for c in emulator.created) == ["billing 1", "calls 1"]


def test_an_api_key_reused_for_another_activity_is_422(invoke, emulator: Emulator, idempotent):
    def request(note: str) -> dict:
        event = api_v1_event(activity(ActivityNote=note))
        event["headers"]["Idempotency-Key"] = "web-form-8"
        return event

    invoke(request("first"))
    answer = invoke(request("something else"))

    assert answer["statusCode"] == 422
    body = json.loads(answer["body"])
    assert body["errorType"] == "IdempotencyKeyReused"
    assert body["idempotencyKey"] == "web-form-8"
    assert len(emulator.created) == 1


def test_a_record_that_cannot_be_saved_after_delivery_is_still_delivered(
    invoke, emulator: Emulator, stack: LocalStack, idempotent, capsys, logs
):
    """The table vanishes while LeadSquared is answering: the activity exists, so the
    message is acknowledged (and counted), never posted again on the next receive."""
    emulator.configure(latency_seconds=0.6)
    dynamodb = stack.client("dynamodb")
    timer = threading.Timer(0.3, lambda: dynamodb.delete_table(TableName=idempotent))
    timer.start()

    answer = invoke(sqs_event(activity()))

    timer.join()
    assert failed_ids(answer) == []
    assert len(emulator.created) == 1
    assert "IdempotencyRecordLost" in capsys.readouterr().out
    assert "could not be saved" in logs.getvalue()


def test_two_api_keys_keys_never_meet(invoke, emulator: Emulator, idempotent):
    def request(note: str, api_key_id: str) -> dict:
        event = api_v1_event(activity(ActivityNote=note))
        event["headers"]["Idempotency-Key"] = "1"
        event["requestContext"]["identity"] = {"apiKeyId": api_key_id}
        return event

    first = invoke(request("from the billing system", "key-billing"))
    second = invoke(request("from the call centre", "key-calls"))

    assert first["statusCode"] == second["statusCode"] == 201
    assert len(emulator.created) == 2
