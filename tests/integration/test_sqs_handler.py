"""SQS batches through the real handler, to the emulator and moto over loopback."""

from __future__ import annotations

import pytest

from activity_poster.settings import ConfigurationError
from leadsquared_emulator import Emulator, Fault
from localrun.stack import LocalStack
from tests.integration.events import (
    LEAD_ID,
    OTHER_LEAD_ID,
    UNKNOWN_LEAD_ID,
    activity,
    sns_envelope,
    sqs_event,
    sqs_record,
)


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def test_valid_batch_is_delivered_and_acknowledged(invoke, emulator: Emulator):
    event = sqs_event(
        activity(),
        activity(RelatedProspectId=None, EmailAddress="new.lead@example.org", FirstName="New"),
        activity(LeadId=OTHER_LEAD_ID, RelatedProspectId=None, ActivityEvent="213"),
    )

    answer = invoke(event)

    assert answer == {"batchItemFailures": []}
    posted = [c.body for c in emulator.created]
    assert len(posted) == 3
    assert {"RelatedProspectId": OTHER_LEAD_ID, "ActivityEvent": 213}.items() <= posted[2].items()
    assert posted[1]["EmailAddress"] == "new.lead@example.org"


def test_only_the_bad_messages_are_reported_failed(invoke, emulator: Emulator):
    event = sqs_event(
        activity(ActivityNote="good 1"),
        activity(ActivityEvent=None),  # missing ActivityEvent
        activity(ActivityNotes="typo"),  # unknown key
        "this is not json",
        activity(RelatedProspectId=UNKNOWN_LEAD_ID),  # LeadSquared rejects it
        activity(ActivityNote="good 2"),
    )

    answer = invoke(event)

    assert failed_ids(answer) == ["msg-1", "msg-2", "msg-3", "msg-4"]
    assert [c.body["ActivityNote"] for c in emulator.created] == ["good 1", "good 2"]
    # Invalid input never reaches LeadSquared; the unknown lead does and is refused there.
    assert len(emulator.received) == 3


def test_every_message_failing_is_answered_not_raised(invoke, emulator: Emulator):
    answer = invoke(sqs_event("{", activity(ActivityEvent=-1)))

    assert failed_ids(answer) == ["msg-0", "msg-1"]
    assert emulator.received == []


def test_sns_envelope_is_unwrapped(invoke, emulator: Emulator):
    inner = activity(ActivityNote="from SNS")

    answer = invoke(sqs_event(sns_envelope(inner)))

    assert answer == {"batchItemFailures": []}
    # Stamped with when the message was sent (its SentTimestamp), having no time of its own.
    assert emulator.created[0].body == {**inner, "ActivityDateTime": "2024-06-03 07:33:20"}


@pytest.mark.parametrize(
    ("fault", "attempts"),
    [
        (Fault.THROTTLE, 3),
        (Fault.HTTP_500, 3),
        (Fault.NON_JSON_500, 3),
        (Fault.HTTP_503, 3),
        # A dropped connection may have created it: 1 post, then 3 lookups (all dropped too),
        # and it is not posted again blind.
        (Fault.DROP_CONNECTION, 4),
        (Fault.STATUS_ERROR_200, 1),  # an application error: never retried
    ],
)
def test_a_failed_call_fails_only_its_own_message(
    invoke, emulator: Emulator, fault: Fault, attempts: int
):
    emulator.inject(fault, times=attempts)  # every attempt the function makes for the first

    answer = invoke(sqs_event(activity(ActivityNote="first"), activity(ActivityNote="second")))

    assert failed_ids(answer) == ["msg-0"]
    assert [c.body["ActivityNote"] for c in emulator.created] == ["second"]
    assert len(emulator.received) == attempts + 1


def test_a_timeout_fails_the_message(invoke, emulator: Emulator, monkeypatch):
    monkeypatch.setenv("LEADSQUARED_READ_TIMEOUT", "0.3")
    emulator.configure(read_timeout_seconds=1.0)
    emulator.inject(Fault.READ_TIMEOUT, times=4)  # the post, then the three lookups

    answer = invoke(sqs_event(activity(), activity()))

    assert failed_ids(answer) == ["msg-0"]
    assert len(emulator.created) == 1
    assert len([r for r in emulator.received if r.path.endswith("/Create")]) == 2


def test_an_unexpected_error_in_one_record_fails_that_record_only(invoke, emulator: Emulator):
    broken = sqs_record(activity(), "msg-broken")
    del broken["body"]
    event = {"Records": [broken, sqs_record(activity(), "msg-ok")]}

    answer = invoke(event)

    assert failed_ids(answer) == ["msg-broken"]
    assert len(emulator.created) == 1


def test_keys_go_in_headers_never_in_the_url(invoke, emulator: Emulator, stack: LocalStack):
    invoke(sqs_event(activity()))

    request = emulator.received[0]
    assert request.query == {}
    assert request.headers["x-lsq-accesskey"].startswith("u$r")
    assert "x-lsq-secretkey" in request.headers
    assert request.path == "/v2/ProspectActivity.svc/Create"


def test_datetime_is_posted_in_utc(invoke, emulator: Emulator):
    invoke(sqs_event(activity(ActivityDateTime="2025-06-03T15:11:07+05:30")))

    assert emulator.created[0].body["ActivityDateTime"] == "2025-06-03 09:41:07"


def test_secret_is_read_once_and_cached_across_invocations(
    invoke, emulator: Emulator, stack: LocalStack, function_env
):
    invoke(sqs_event(activity()))
    # Replace the secret with keys LeadSquared would refuse: a cached copy keeps working.
    stack.put_secret(function_env["LEADSQUARED_SECRET_ID"], {"accessKey": "x", "secretKey": "y"})
    try:
        answer = invoke(sqs_event(activity(), activity()))
    finally:
        from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

        stack.put_secret(
            function_env["LEADSQUARED_SECRET_ID"],
            {"accessKey": DEFAULT_ACCESS_KEY, "secretKey": DEFAULT_SECRET_KEY},
        )
    assert answer == {"batchItemFailures": []}
    assert len(emulator.created) == 3


def test_wrong_keys_fail_the_message(invoke, emulator: Emulator, stack: LocalStack, monkeypatch):
    stack.put_secret("leadsquared/wrong-keys", {"accessKey": "u$rbad", "secretKey": "bad"})
    monkeypatch.setenv("LEADSQUARED_SECRET_ID", "leadsquared/wrong-keys")

    answer = invoke(sqs_event(activity()))

    assert failed_ids(answer) == ["msg-0"]
    assert emulator.received[0].status == 401
    assert emulator.created == []


def test_missing_configuration_fails_the_invocation_naming_the_variable(
    invoke, emulator: Emulator, monkeypatch
):
    # Not one message's fault: the invocation errors (visible in the function's Errors metric)
    # and SQS makes the whole batch visible again.
    monkeypatch.delenv("LEADSQUARED_API_URL")

    with pytest.raises(ConfigurationError, match="LEADSQUARED_API_URL"):
        invoke(sqs_event(activity(), activity()))
    assert emulator.received == []


def test_unknown_secret_fails_messages(invoke, emulator: Emulator, monkeypatch, logs):
    monkeypatch.setenv("LEADSQUARED_SECRET_ID", "leadsquared/does-not-exist")

    answer = invoke(sqs_event(activity()))

    assert failed_ids(answer) == ["msg-0"]
    assert "leadsquared/does-not-exist" in logs.getvalue()
    assert emulator.received == []


def test_email_variant_posts_by_email(invoke, emulator: Emulator):
    answer = invoke(
        sqs_event(activity(RelatedProspectId=None, EmailAddress="priya.nair@example.org"))
    )

    assert answer == {"batchItemFailures": []}
    assert emulator.created[0].lead_id == LEAD_ID


def test_records_without_an_event_source_do_not_fail_the_batch(invoke, emulator: Emulator, logs):
    unreadable = sqs_record("not json", "msg-odd-unreadable")
    readable = sqs_record(activity(ActivityNote="odd but readable"), "msg-odd-readable")
    nameless = sqs_record(activity(ActivityNote="never posted"))
    for record in (unreadable, readable, nameless):
        del record["eventSource"]
    del nameless["messageId"]
    event = {
        "Records": [
            sqs_record(activity(ActivityNote="good 1"), "msg-good-1"),
            unreadable,
            readable,
            nameless,
            sqs_record(activity(ActivityNote="good 2"), "msg-good-2"),
        ]
    }

    answer = invoke(event)

    assert failed_ids(answer) == ["msg-odd-unreadable"]
    notes = [c.body["ActivityNote"] for c in emulator.created]
    assert notes == ["good 1", "odd but readable", "good 2"]
    assert "SQS record without a messageId skipped" in logs.getvalue()
