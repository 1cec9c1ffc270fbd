"""The function knows the account: activity types checked before any call, leads never
created by accident."""

from __future__ import annotations

import json
import uuid

import pytest

from leadsquared_emulator import Emulator, Fault
from localrun.stack import LocalStack
from tests.integration.events import activity, api_v1_event, sqs_event

TYPES = "/v2/ProspectActivity.svc/ActivityTypes.Get"
CREATE = "/v2/ProspectActivity.svc/Create"
KNOWN_EMAIL = "priya.nair@example.org"
ORDER_EVENT = 2_000_000_001  # the emulator's type with a mandatory field, options, numbers


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def calls(emulator: Emulator, path: str) -> int:
    return sum(r.path == path for r in emulator.received)


@pytest.fixture
def strict(set_env) -> None:
    set_env(LEADSQUARED_SCHEMA_CHECK="strict")


@pytest.fixture
def dlq(stack: LocalStack, set_env) -> str:
    queues = stack.create_queues(f"tenant-{uuid.uuid4().hex[:8]}")
    set_env(DEAD_LETTER_QUEUE_URL=queues.dlq_url)
    return queues.dlq_url


def letters(stack: LocalStack, url: str) -> list[dict]:
    answer = stack.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return answer.get("Messages", [])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"ActivityEvent": 999}, "ActivityEvent", id="unknown-type"),
        pytest.param(
            {"Fields": [{"SchemaName": "mx_Custm_1", "Value": "x"}]},
            "Fields.0.SchemaName",
            id="misspelled-field",
        ),
        pytest.param(
            {
                "ActivityEvent": ORDER_EVENT,
                "Fields": [{"SchemaName": "mx_Custom_2", "Value": "Gold"}],
            },
            "Fields",
            id="missing-mandatory-field",
        ),
        pytest.param(
            {
                "ActivityEvent": ORDER_EVENT,
                "Fields": [
                    {"SchemaName": "mx_Custom_1", "Value": "ORD-1"},
                    {"SchemaName": "mx_Custom_2", "Value": "Platinum"},
                ],
            },
            "Fields.1.Value",
            id="not-an-option",
        ),
        pytest.param(
            {
                "ActivityEvent": ORDER_EVENT,
                "Fields": [
                    {"SchemaName": "mx_Custom_1", "Value": "ORD-1"},
                    {"SchemaName": "mx_Custom_3", "Value": "twelve"},
                ],
            },
            "Fields.1.Value",
            id="not-a-number",
        ),
    ],
)
def test_the_pre_flight_refuses_before_any_budget_is_spent(
    invoke, emulator: Emulator, stack: LocalStack, strict, dlq, overrides: dict, field: str
):
    answer = invoke(sqs_event(activity(**overrides)))

    assert failed_ids(answer) == []
    [letter] = letters(stack, dlq)
    assert letter["MessageAttributes"]["ErrorType"]["StringValue"] == "InvalidActivity"
    assert field.split(".")[0] in letter["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert calls(emulator, CREATE) == 0
    assert calls(emulator, TYPES) == 2  # read, then read again once before refusing


def test_the_api_answers_400_naming_the_field(invoke, emulator: Emulator, strict):
    body = activity(Fields=[{"SchemaName": "mx_Custm_1", "Value": "x"}])

    answer = invoke(api_v1_event(body))

    assert answer["statusCode"] == 400
    [error] = json.loads(answer["body"])["errors"]
    assert error["field"] == "Fields.0.SchemaName"
    assert "mx_Custm_1" in error["message"]


def test_the_schema_is_read_once_per_container(invoke, emulator: Emulator, strict):
    invoke(sqs_event(activity(ActivityNote="a"), activity(ActivityNote="b")))
    invoke(sqs_event(activity(ActivityNote="c")))

    assert calls(emulator, TYPES) == 1
    assert calls(emulator, CREATE) == 3


def test_an_unreadable_schema_lets_activities_through_with_one_warning(
    invoke, emulator: Emulator, strict, logs
):
    emulator.inject(Fault.HTTP_503, times=1)  # the schema read

    answer = invoke(sqs_event(activity(ActivityNote="a"), activity(ActivityNote="b")))

    assert failed_ids(answer) == []
    assert len(emulator.created) == 2
    warnings = [
        line for line in logs.getvalue().splitlines() if '"WARNING"' in line and "types" in line
    ]
    assert len(warnings) == 1


@pytest.fixture
def existing_leads_only(set_env) -> None:
    set_env(LEAD_POLICY="existing")


def test_with_existing_leads_only_an_email_is_posted_by_its_leads_id(
    invoke, emulator: Emulator, existing_leads_only
):
    answer = invoke(sqs_event(activity(RelatedProspectId=None, EmailAddress=KNOWN_EMAIL)))

    assert failed_ids(answer) == []
    [created] = emulator.created
    assert "EmailAddress" not in created.body
    assert created.body["RelatedProspectId"] == "3f2a9c1e-6b7d-4e8f-a1b2-c3d4e5f60718"


def test_with_existing_leads_only_an_unknown_email_never_creates_a_lead(
    invoke, emulator: Emulator, stack: LocalStack, existing_leads_only, dlq
):
    answer = invoke(
        sqs_event(activity(RelatedProspectId=None, EmailAddress="typo.nair@example.org"))
    )

    assert failed_ids(answer) == []
    assert emulator.created == []
    assert calls(emulator, CREATE) == 0
    [letter] = letters(stack, dlq)
    assert letter["MessageAttributes"]["ErrorType"]["StringValue"] == "LeadNotFound"
    reason = letter["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert "typo.nair" not in reason and "t***@example.org" in reason


def test_the_default_policy_still_creates_the_lead(invoke, emulator: Emulator):
    invoke(sqs_event(activity(RelatedProspectId=None, EmailAddress="new.person@example.org")))

    assert len(emulator.created) == 1


def test_a_type_created_since_the_schema_was_read_is_not_refused(
    invoke, emulator: Emulator, strict
):
    from leadsquared_emulator.schema import DEFAULT_ACTIVITY_TYPES, free_text_type

    invoke(sqs_event(activity()))  # the schema is read and cached
    emulator.configure(
        activity_types=[*DEFAULT_ACTIVITY_TYPES, free_text_type(301, "Call Back", ["mx_Custom_1"])]
    )

    answer = invoke(sqs_event(activity(ActivityEvent=301)))

    assert failed_ids(answer) == []
    assert calls(emulator, TYPES) == 2  # read again once, before refusing
    assert len(emulator.created) == 2


KNOWN_PHONE = "+91-9876501234"


def test_a_lead_named_by_phone_alone_is_refused_under_the_default_policy(
    invoke, emulator: Emulator, stack: LocalStack, dlq
):
    answer = invoke(sqs_event(activity(RelatedProspectId=None, Phone=KNOWN_PHONE)))

    assert failed_ids(answer) == []
    [letter] = letters(stack, dlq)
    assert "Phone" in letter["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert emulator.received == []


def test_with_existing_leads_only_a_phone_is_posted_by_its_leads_id(
    invoke, emulator: Emulator, set_env
):
    # A lead with this phone exists once an activity by email created it (default policy).
    invoke(
        sqs_event(
            activity(
                RelatedProspectId=None, EmailAddress="meera.iyer@example.org", Phone=KNOWN_PHONE
            )
        )
    )
    [first] = emulator.created
    set_env(LEAD_POLICY="existing")

    answer = invoke(
        sqs_event(
            activity(RelatedProspectId=None, Phone="+91 98765 01234", ActivityNote="by phone")
        )
    )

    assert failed_ids(answer) == []
    second = emulator.created[1]
    assert second.body["RelatedProspectId"] == first.lead_id
    assert "Phone" not in second.body


def test_a_phone_two_leads_share_is_ambiguous_and_never_posted(
    invoke, emulator: Emulator, stack: LocalStack, set_env, dlq
):
    for email in ("first.owner@example.org", "second.owner@example.org"):
        invoke(sqs_event(activity(RelatedProspectId=None, EmailAddress=email, Phone=KNOWN_PHONE)))
    set_env(LEAD_POLICY="existing")

    answer = invoke(sqs_event(activity(RelatedProspectId=None, Phone=KNOWN_PHONE)))

    assert failed_ids(answer) == []
    assert len(emulator.created) == 2
    [letter] = letters(stack, dlq)
    assert letter["MessageAttributes"]["ErrorType"]["StringValue"] == "AmbiguousLead"
    assert "9876501234" not in letter["MessageAttributes"]["ErrorMessage"]["StringValue"]
