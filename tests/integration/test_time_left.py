"""Calls fit the time left: a short invocation still delivers, and never overruns."""

from __future__ import annotations

import json
import time

import pytest

from leadsquared_emulator import Emulator, Fault
from tests.integration.events import activity, api_v1_event, sqs_event


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


@pytest.mark.parametrize("seconds_left", [6.0, 10.0])
def test_a_batch_with_little_time_left_delivers_every_good_activity(
    invoke, emulator: Emulator, seconds_left: float
):
    """With the default timeouts (connect 3.05 s, read 10 s, margin 1 s) a full-length call
    needs 14.05 s; a shorter read timeout still leaves LeadSquared ample time to answer."""
    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(3)]), seconds_left)

    assert failed_ids(answer) == []
    assert len(emulator.created) == 3


def test_an_api_request_with_8_seconds_left_gets_leadsquareds_answer(invoke, emulator: Emulator):
    answer = invoke(api_v1_event(activity()), 8.0)

    assert answer["statusCode"] == 201
    assert json.loads(answer["body"])["activityId"] == emulator.created[0].activity_id


def test_below_the_shortest_useful_call_nothing_is_sent(invoke, emulator: Emulator):
    # margin 1 s + connect 3.05 s + 1.5 s for the answer = 5.55 s
    answer = invoke(sqs_event(activity()), 5.4)

    assert failed_ids(answer) == ["msg-0"]
    assert emulator.received == []


@pytest.mark.parametrize("seconds_left", [6.0, 9.0])
def test_a_hanging_leadsquared_never_makes_a_batch_overrun(
    invoke, emulator: Emulator, seconds_left: float
):
    emulator.configure(read_timeout_seconds=30.0)
    emulator.inject(Fault.READ_TIMEOUT, times=5)

    started = time.monotonic()
    answer = invoke(sqs_event(activity()), seconds_left)

    assert time.monotonic() - started < seconds_left - 0.5
    assert failed_ids(answer) == ["msg-0"]


def test_a_hanging_leadsquared_gets_an_api_caller_504_in_time(invoke, emulator: Emulator):
    emulator.configure(read_timeout_seconds=30.0)
    emulator.inject(Fault.READ_TIMEOUT, times=5)

    started = time.monotonic()
    answer = invoke(api_v1_event(activity()), 7.0)

    assert time.monotonic() - started < 6.5
    assert answer["statusCode"] == 504
