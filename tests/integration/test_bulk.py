"""DELIVERY_MODE bulk and auto: up to 25 rows per call, each row's result to its message."""

from __future__ import annotations

import pytest

from leadsquared_emulator import Emulator, Fault, RateLimit
from tests.integration.events import UNKNOWN_LEAD_ID, activity, api_v1_event, sqs_event

BULK = "/v2/ProspectActivity.svc/Bulk/CustomActivity/Add/ByLeadId"
SINGLE = "/v2/ProspectActivity.svc/Create"


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


@pytest.fixture
def bulk(set_env) -> None:
    set_env(DELIVERY_MODE="bulk", DELIVERY_WORKERS="10", LEADSQUARED_BULK_RATE_LIMIT="100/0.2s")


def test_a_batch_goes_in_one_bulk_call(invoke, emulator: Emulator, bulk):
    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(10)]))

    assert failed_ids(answer) == []
    assert [r.path for r in emulator.received] == [BULK]
    assert len(emulator.received[0].json) == 10
    assert len(emulator.created) == 10


def test_a_rejected_row_fails_only_its_own_message(invoke, emulator: Emulator, bulk):
    bodies = [activity(ActivityNote=f"n{i}") for i in range(6)]
    bodies[4] = activity(ActivityNote="n4", RelatedProspectId=UNKNOWN_LEAD_ID)

    answer = invoke(sqs_event(*bodies))

    assert failed_ids(answer) == ["msg-4"]
    assert sorted(c.body["ActivityNote"] for c in emulator.created) == [
        "n0",
        "n1",
        "n2",
        "n3",
        "n5",
    ]


def test_rows_the_answer_leaves_out_are_failed_and_logged(invoke, emulator: Emulator, bulk, logs):
    emulator.configure(bulk_omit_failed_rows=True)
    bodies = [activity(ActivityNote=f"n{i}") for i in range(4)]
    bodies[1] = activity(ActivityNote="n1", RelatedProspectId=UNKNOWN_LEAD_ID)

    answer = invoke(sqs_event(*bodies))

    assert failed_ids(answer) == ["msg-1"]
    assert "unaccounted" in logs.getvalue()


def test_activities_the_bulk_endpoint_cannot_take_go_one_by_one(invoke, emulator: Emulator, bulk):
    answer = invoke(
        sqs_event(
            activity(ActivityNote="by id"),
            activity(RelatedProspectId=None, EmailAddress="priya.nair@example.org"),
            activity(ActivityNote="score", IncludeLeadScore=True),
        )
    )

    assert failed_ids(answer) == []
    paths = sorted(r.path for r in emulator.received)
    assert paths == [BULK, SINGLE, SINGLE]


def test_a_throttled_bulk_call_is_retried_whole(invoke, emulator: Emulator, bulk):
    emulator.inject(Fault.THROTTLE, times=1)

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(5)]))

    assert failed_ids(answer) == []
    assert [r.status for r in emulator.received] == [429, 200]
    assert len(emulator.created) == 5


def test_bulk_calls_carry_at_most_25_rows(invoke, emulator: Emulator, bulk, set_env):
    set_env(DELIVERY_WORKERS="30")

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(40)]))

    assert failed_ids(answer) == []
    sizes = [len(r.json) for r in emulator.received]
    assert sum(sizes) == 40 and max(sizes) <= 25


def test_auto_mode_uses_both_budgets(invoke, emulator: Emulator, set_env):
    emulator.configure(rate_limit=RateLimit(3, 1.0), bulk_rate_limit=RateLimit(1, 1.0))
    set_env(
        DELIVERY_MODE="auto",
        DELIVERY_WORKERS="25",
        LEADSQUARED_RATE_LIMIT="3/1s",
        LEADSQUARED_BULK_RATE_LIMIT="1/1s",
    )

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(20)]))

    assert failed_ids(answer) == []
    singles = [r for r in emulator.received if r.path == SINGLE]
    bulks = [r for r in emulator.received if r.path == BULK]
    assert len(singles) == 3  # the single budget's whole window
    assert len(bulks) == 1 and len(bulks[0].json) == 17
    assert all(r.status == 200 for r in emulator.received)


def test_an_api_request_is_never_held_for_a_bulk_call(invoke, emulator: Emulator, bulk):
    answer = invoke(api_v1_event(activity()))

    assert answer["statusCode"] == 201
    assert [r.path for r in emulator.received] == [SINGLE]


def test_auto_takes_a_single_slot_when_it_frees_before_the_bulk_budget(
    invoke, emulator: Emulator, set_env
):
    """Auto mode never waits for the bulk budget when single calls would go sooner."""
    emulator.configure(rate_limit=RateLimit(100, 1.0), bulk_rate_limit=RateLimit(100, 1.0))
    set_env(
        DELIVERY_MODE="auto",
        DELIVERY_WORKERS="10",
        LEADSQUARED_RATE_LIMIT="3/1s",
        LEADSQUARED_BULK_RATE_LIMIT="1/5s",
    )
    invoke(sqs_event(*[activity(ActivityNote=f"first {i}") for i in range(6)]))
    emulator.reset()  # the bulk budget's one call is spent for 5 s

    answer = invoke(sqs_event(*[activity(ActivityNote=f"second {i}") for i in range(5)]))

    assert failed_ids(answer) == []
    assert [r.path for r in emulator.received] == [SINGLE] * 5  # none waited for bulk


def test_the_activity_owner_travels_in_its_bulk_row(invoke, emulator: Emulator, bulk):
    owner = "owner.one@example.com"

    answer = invoke(sqs_event(activity(ActivityNote="owned", ActivityOwnerEmail=owner), activity()))

    assert failed_ids(answer) == []
    [call] = emulator.received
    rows = {row.get("ActivityNote"): row for row in call.json}
    assert rows["owned"]["ActivityOwnerEmail"] == owner
    assert "ActivityOwnerEmail" not in rows["Webinar attended"]


def test_auto_fills_bulk_calls_when_the_single_budget_is_small(invoke, emulator: Emulator, set_env):
    """A large batch on a small plan (Lite's 2 single and 1 bulk call per window, the window
    shortened to 1 s): activities queue for single slots only while their turn comes before
    the next bulk call, so bulk calls carry most of them and the batch is delivered in a few
    windows rather than one single call at a time."""
    emulator.configure(rate_limit=RateLimit(2, 1.0), bulk_rate_limit=RateLimit(1, 1.0))
    set_env(
        DELIVERY_MODE="auto",
        DELIVERY_WORKERS="25",
        LEADSQUARED_RATE_LIMIT="2/1s",
        LEADSQUARED_BULK_RATE_LIMIT="1/1s",
    )

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(60)]), 12.0)

    assert failed_ids(answer) == []
    assert len(emulator.created) == 60
    bulk_rows = [len(r.json) for r in emulator.received if r.path == BULK]
    assert sum(bulk_rows) >= 45  # at most a few single calls per window
    assert [r.status for r in emulator.received].count(429) == 0
