"""No duplicate after a lost answer: the activity is looked up before it is posted again."""

from __future__ import annotations

import json
import time

import pytest

from leadsquared_emulator import Emulator, Fault
from tests.integration.events import activity, api_v1_event, sqs_event, sqs_record

CREATE = "/v2/ProspectActivity.svc/Create"
BULK = "/v2/ProspectActivity.svc/Bulk/CustomActivity/Add/ByLeadId"
RETRIEVE = "/v2/ProspectActivity.svc/Retrieve"
EMAIL = "priya.nair@example.org"  # a lead the emulator's tenant has


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def posts(emulator: Emulator, path: str = CREATE) -> int:
    return sum(r.path == path for r in emulator.received)


@pytest.fixture(autouse=True)
def short_reads(set_env, emulator: Emulator) -> None:
    set_env(LEADSQUARED_READ_TIMEOUT="0.3")
    emulator.configure(read_timeout_seconds=0.6)


@pytest.mark.parametrize("fault", [Fault.TIMEOUT_AFTER_COMMIT, Fault.DROP_AFTER_COMMIT])
def test_an_activity_committed_while_its_answer_was_lost_is_not_posted_again(
    invoke, emulator: Emulator, fault: Fault
):
    emulator.inject(fault, times=1)

    answer = invoke(sqs_event(activity(ActivityNote="lost answer")))

    assert failed_ids(answer) == []
    assert len(emulator.created) == 1
    assert posts(emulator) == 1
    assert posts(emulator, RETRIEVE) == 1


def test_an_activity_not_committed_is_posted_again_after_the_lookup(invoke, emulator: Emulator):
    emulator.inject(Fault.READ_TIMEOUT, times=1)  # hangs without committing

    answer = invoke(sqs_event(activity()))

    assert failed_ids(answer) == []
    assert len(emulator.created) == 1
    assert posts(emulator) == 2


def test_the_api_answers_with_the_activity_found_by_the_lookup(invoke, emulator: Emulator):
    emulator.inject(Fault.TIMEOUT_AFTER_COMMIT, times=1)

    answer = invoke(api_v1_event(activity()))

    assert answer["statusCode"] == 201
    assert emulator.created[0].activity_id in answer["body"]
    assert len(emulator.created) == 1


def test_when_the_lookup_fails_the_activity_is_never_posted_blind(invoke, emulator: Emulator):
    emulator.inject(Fault.TIMEOUT_AFTER_COMMIT, times=1)
    emulator.inject(Fault.HTTP_500, times=3)  # every lookup attempt

    answer = invoke(sqs_event(activity()))

    assert failed_ids(answer) == ["msg-0"]
    assert posts(emulator) == 1
    assert len(emulator.created) == 1


def test_an_activity_addressed_by_email_finds_its_lead_first(invoke, emulator: Emulator):
    emulator.inject(Fault.TIMEOUT_AFTER_COMMIT, times=1)

    answer = invoke(sqs_event(activity(RelatedProspectId=None, EmailAddress=EMAIL)))

    assert failed_ids(answer) == []
    assert len(emulator.created) == 1
    assert posts(emulator) == 1


def test_the_lookup_reads_past_the_first_page(invoke, emulator: Emulator):
    # 30 activities of the same type on the lead, all newer than the one whose answer is lost.
    emulator.inject(Fault.TIMEOUT_AFTER_COMMIT, times=1)
    first = invoke(
        sqs_event(activity(ActivityNote="older", ActivityDateTime="2024-01-01 00:00:00"))
    )
    assert failed_ids(first) == []
    invoke(sqs_event(*[activity(ActivityNote=f"newer {i}") for i in range(10)]))
    invoke(sqs_event(*[activity(ActivityNote=f"newer {i}") for i in range(10, 20)]))
    invoke(sqs_event(*[activity(ActivityNote=f"newer {i}") for i in range(20, 30)]))
    record = sqs_record(activity(ActivityNote="older", ActivityDateTime="2024-01-01 00:00:00"), "m")
    record["messageAttributes"] = {"MayExist": {"stringValue": "true", "dataType": "String"}}

    answer = invoke({"Records": [record]})

    assert failed_ids(answer) == []
    assert sum(c.body.get("ActivityNote") == "older" for c in emulator.created) == 1
    assert posts(emulator, RETRIEVE) >= 3  # the first lookup, then two pages for the copy


def test_a_copy_marked_may_exist_is_looked_up_before_it_is_posted(invoke, emulator: Emulator):
    invoke(sqs_event(activity(ActivityNote="first receive")))
    record = sqs_record(activity(ActivityNote="first receive"), "m")
    record["messageAttributes"] = {"MayExist": {"stringValue": "true", "dataType": "String"}}

    answer = invoke({"Records": [record]})

    assert failed_ids(answer) == []
    assert len(emulator.created) == 1  # found: not posted again
    assert posts(emulator) == 1


@pytest.mark.parametrize(
    "shape",
    ["note_in_activity_event_note", "note_in_notable_event_description", "note_at_top_level"],
)
def test_every_place_the_note_may_sit_is_read(invoke, emulator: Emulator, shape: str):
    emulator.configure(retrieve_shape=shape)
    emulator.inject(Fault.TIMEOUT_AFTER_COMMIT, times=1)

    invoke(sqs_event(activity()))

    assert len(emulator.created) == 1


@pytest.mark.parametrize("shape", ["created_on_is_server_time", "no_note"])
def test_what_the_answer_cannot_prove_counts_as_not_found(invoke, emulator: Emulator, shape: str):
    """A false "found" would lose an activity; a false "not found" only duplicates it."""
    emulator.configure(retrieve_shape=shape)
    emulator.inject(Fault.TIMEOUT_AFTER_COMMIT, times=1)

    answer = invoke(sqs_event(activity(ActivityDateTime="2024-01-01 00:00:00")))

    assert failed_ids(answer) == []
    assert len(emulator.created) == 2


def test_a_second_identical_activity_is_ambiguous_and_posted_again(invoke, emulator: Emulator):
    same = activity(ActivityNote="twice", ActivityDateTime="2024-01-01 00:00:00")
    invoke(sqs_event(same))
    emulator.inject(Fault.TIMEOUT_AFTER_COMMIT, times=1)

    invoke(sqs_event(same))

    assert len(emulator.created) == 3


def test_a_timed_out_message_comes_back_marked_for_a_lookup(
    invoke, emulator: Emulator, stack, set_env
):
    queues = stack.create_queues("reconcile-mark", visibility_timeout=30)
    set_env(RETRY_BACKOFF_BASE_SECONDS="1", LEADSQUARED_MAX_ATTEMPTS="1")
    sqs = stack.client("sqs")
    sqs.send_message(QueueUrl=queues.url, MessageBody=json.dumps(activity()))
    received = sqs.receive_message(
        QueueUrl=queues.url, AttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"][0]
    record = sqs_record(received["Body"], received["MessageId"])
    record |= {"receiptHandle": received["ReceiptHandle"], "eventSourceARN": queues.arn}
    record["attributes"] = received["Attributes"]
    emulator.inject(Fault.TIMEOUT_AFTER_COMMIT, times=1)

    answer = invoke({"Records": [record]})

    assert failed_ids(answer) == []  # replaced by a marked copy
    copies: list = []
    started = time.monotonic()
    while not copies and time.monotonic() - started < 5:
        time.sleep(0.2)
        copies = sqs.receive_message(
            QueueUrl=queues.url, AttributeNames=["All"], MessageAttributeNames=["All"]
        ).get("Messages", [])
    [copy] = copies
    assert copy["MessageAttributes"]["MayExist"]["StringValue"] == "true"
    assert (
        copy["MessageAttributes"]["OriginalSentTimestamp"]["StringValue"]
        == (received["Attributes"]["SentTimestamp"])
    )


@pytest.fixture
def bulk(set_env) -> None:
    set_env(DELIVERY_MODE="bulk", DELIVERY_WORKERS="10", LEADSQUARED_BULK_RATE_LIMIT="100/0.2s")


@pytest.mark.parametrize("fault", [Fault.TIMEOUT_AFTER_COMMIT, Fault.DROP_AFTER_COMMIT])
def test_a_bulk_call_that_may_have_committed_is_reconciled_row_by_row(
    invoke, emulator: Emulator, bulk, fault: Fault
):
    emulator.inject(fault, times=1)

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(5)]))

    assert failed_ids(answer) == []
    assert sorted(c.body["ActivityNote"] for c in emulator.created) == [f"n{i}" for i in range(5)]
    assert posts(emulator) == 0  # every row was found: none sent again


@pytest.mark.parametrize(
    "shape", ["full", "id_only", "no_row_number", "missing_rows", "count_only"]
)
def test_every_bulk_answer_shape_delivers_each_row_once(
    invoke, emulator: Emulator, bulk, shape: str
):
    emulator.configure(bulk_answer_shape=shape)

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(5)]))

    assert failed_ids(answer) == []
    assert sorted(c.body["ActivityNote"] for c in emulator.created) == [f"n{i}" for i in range(5)]
