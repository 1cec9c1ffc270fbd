"""A bounded pool of deliveries within a batch, paced by the shared rate limiter."""

from __future__ import annotations

import time

import pytest

from leadsquared_emulator import Emulator, Fault, RateLimit
from tests.integration.events import UNKNOWN_LEAD_ID, activity, sqs_event


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


@pytest.fixture
def parallel(set_env) -> None:
    set_env(DELIVERY_WORKERS="10")


def test_calls_overlap(invoke, emulator: Emulator, parallel):
    emulator.configure(latency_seconds=0.3)

    started = time.monotonic()
    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(10)]))
    elapsed = time.monotonic() - started

    assert failed_ids(answer) == []
    assert len(emulator.created) == 10
    assert elapsed < 1.5  # one after another would take 3 s


def test_each_message_gets_its_own_outcome(invoke, emulator: Emulator, parallel):
    unknown = {0, 3, 6, 9}
    bodies = [
        activity(ActivityNote=f"n{i}", RelatedProspectId=UNKNOWN_LEAD_ID)
        if i in unknown
        else activity(ActivityNote=f"n{i}")
        for i in range(12)
    ]

    answer = invoke(sqs_event(*bodies))

    assert set(failed_ids(answer)) == {f"msg-{i}" for i in unknown}
    assert {c.body["ActivityNote"] for c in emulator.created} == {
        f"n{i}" for i in range(12) if i not in unknown
    }


def test_the_pool_stays_within_the_rate_limit(invoke, emulator: Emulator, set_env):
    emulator.configure(rate_limit=RateLimit(4, 0.5), latency_seconds=0.05)
    set_env(DELIVERY_WORKERS="10", LEADSQUARED_RATE_LIMIT="4/0.5s")

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(10)]))

    assert failed_ids(answer) == []
    assert all(r.status == 200 for r in emulator.received)  # not one throttled answer


def test_faults_under_concurrency_fail_only_their_messages(invoke, emulator: Emulator, set_env):
    set_env(DELIVERY_WORKERS="10", LEADSQUARED_MAX_ATTEMPTS="1")
    emulator.inject(Fault.HTTP_503, times=3)

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(10)]))

    failed = failed_ids(answer)
    assert len(failed) == 3
    created = {c.body["ActivityNote"] for c in emulator.created}
    assert created == {f"n{i}" for i in range(10) if f"msg-{i}" not in failed}
