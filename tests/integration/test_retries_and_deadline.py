"""Retries within the invocation's time, pacing against the emulator's rolling window."""

from __future__ import annotations

import itertools
import time

from leadsquared_emulator import Emulator, Fault, RateLimit
from tests.integration.events import activity, sqs_event


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def test_throttled_call_waits_out_the_window_then_succeeds(invoke, emulator: Emulator):
    emulator.inject(Fault.THROTTLE, times=1)

    answer = invoke(sqs_event(activity()))

    assert failed_ids(answer) == []
    first, second = emulator.received
    assert first.status == 429 and second.status == 200
    assert second.time - first.time >= 0.2  # the test window (LEADSQUARED_RATE_LIMIT=.../0.2s)


def test_unavailable_is_retried_with_growing_waits(invoke, emulator: Emulator, set_env):
    set_env(LEADSQUARED_MAX_ATTEMPTS="4")
    emulator.inject(Fault.HTTP_503, times=3)

    answer = invoke(sqs_event(activity()))

    assert failed_ids(answer) == []
    times = [r.time for r in emulator.received]
    assert [r.status for r in emulator.received] == [503, 503, 503, 200]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 0.1 for gap in gaps)  # never immediately: 0.25 s base, equal jitter
    assert len(emulator.created) == 1


def test_rejected_is_never_retried(invoke, emulator: Emulator):
    emulator.inject(Fault.STATUS_ERROR_200, times=1)

    answer = invoke(sqs_event(activity()))

    assert failed_ids(answer) == ["msg-0"]
    assert len(emulator.received) == 1


def test_no_retry_when_the_invocation_has_no_time_for_it(invoke, emulator: Emulator, set_env):
    # A throttle waits 0.2 s, and a call may take 0.5 + 0.5 + 0.2 s: with 1.5 s left, no retry.
    set_env(
        LEADSQUARED_CONNECT_TIMEOUT="0.5",
        LEADSQUARED_READ_TIMEOUT="0.5",
        DEADLINE_MARGIN_SECONDS="0.2",
    )
    emulator.inject(Fault.THROTTLE, times=1)
    emulator.configure(latency_seconds=0.4)

    started = time.monotonic()
    answer = invoke(sqs_event(activity()), timeout_seconds=1.65)

    assert failed_ids(answer) == ["msg-0"]
    assert len(emulator.received) == 1
    assert time.monotonic() - started < 1.65


def test_deadline_guard_leaves_untried_messages_on_the_queue(invoke, emulator: Emulator, set_env):
    set_env(
        LEADSQUARED_CONNECT_TIMEOUT="0.3",
        LEADSQUARED_READ_TIMEOUT="0.5",
        DEADLINE_MARGIN_SECONDS="0.2",
    )
    emulator.configure(latency_seconds=0.3)
    timeout = 2.0

    started = time.monotonic()
    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(10)]), timeout)
    elapsed = time.monotonic() - started

    assert elapsed < timeout  # Lambda never times out: nothing posted is delivered again
    delivered_notes = {c.body["ActivityNote"] for c in emulator.created}
    failed = set(failed_ids(answer))
    assert 0 < len(delivered_notes) < 10
    assert failed == {f"msg-{i}" for i in range(10) if f"n{i}" not in delivered_notes}
    # Every message reported failed was never sent: a retry cannot duplicate it.
    sent_notes = {r.json["ActivityNote"] for r in emulator.received}
    assert sent_notes == delivered_notes


def test_pacing_keeps_every_window_under_the_limit(invoke, emulator: Emulator, set_env):
    emulator.configure(rate_limit=RateLimit(3, 0.5))
    set_env(LEADSQUARED_RATE_LIMIT="3/0.5s")

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(8)]))

    assert failed_ids(answer) == []
    assert [r.status for r in emulator.received] == [200] * 8  # not one throttled answer


def test_without_pacing_the_same_burst_is_throttled(invoke, emulator: Emulator, set_env):
    # The counterpart of the test above: it shows the limiter is what prevents the throttling.
    emulator.configure(rate_limit=RateLimit(3, 0.5))
    set_env(LEADSQUARED_RATE_LIMIT=None, LEADSQUARED_MAX_ATTEMPTS="1")

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(8)]))

    assert 429 in [r.status for r in emulator.received]
    assert len(failed_ids(answer)) == 5


def test_containers_split_the_plan(invoke, emulator: Emulator, set_env):
    # Two containers share 6 calls per 0.6 s: this one takes 3 per window.
    set_env(LEADSQUARED_RATE_LIMIT="6/0.6s", LEADSQUARED_CONTAINERS="2")

    invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(6)]))

    times = [r.time for r in emulator.received]
    assert times[3] - times[0] >= 0.6
    assert times[2] - times[0] < 0.3


def test_a_trickled_answer_never_outlasts_the_invocation(invoke, emulator: Emulator):
    # One byte every 0.2 s: the answer would take 15 s, the invocation has 6 (the call's
    # read timeout is shortened to fit them, and the body is read only until then).
    emulator.inject(Fault.TRICKLE, times=1)

    started = time.monotonic()
    answer = invoke(sqs_event(activity()), timeout_seconds=6.0)
    elapsed = time.monotonic() - started

    assert elapsed < 6.0
    # Committed, its answer never read: the message comes back, and no second call was made.
    assert failed_ids(answer) == ["msg-0"]
    assert len(emulator.received) == 1
    assert len(emulator.created) == 1
