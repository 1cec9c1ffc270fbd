"""Which outcomes are tried again, and after how long."""

from __future__ import annotations

import random

import pytest

from activity_poster.outcomes import (
    Delivered,
    Rejected,
    Throttled,
    Unauthorized,
    Unavailable,
    Unreachable,
)
from activity_poster.policy import RetryPolicy

POLICY = RetryPolicy(max_attempts=4, backoff_base_seconds=0.5, backoff_cap_seconds=4.0)


@pytest.mark.parametrize(
    "outcome",
    [Delivered("id"), Rejected("MXInvalidEntityException", "no lead"), Unauthorized("401")],
)
def test_final_outcomes_are_never_retried(outcome) -> None:
    assert POLICY.wait_before_retry(outcome, 1) is None


@pytest.mark.parametrize("seed", range(20))
def test_throttled_waits_out_the_whole_window_with_jitter(seed: int) -> None:
    wait = POLICY.wait_before_retry(Throttled("limit"), 1, random.Random(seed))
    assert wait is not None
    assert 5.0 <= wait <= 6.0


def test_throttle_waits_differ_between_callers() -> None:
    waits = {POLICY.wait_before_retry(Throttled("x"), 1, random.Random(s)) for s in range(10)}
    assert len(waits) == 10


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0)])
def test_unavailable_backs_off_exponentially_with_jitter(attempt: int, ceiling: float) -> None:
    waits = [
        POLICY.wait_before_retry(Unavailable("503"), attempt, random.Random(s)) for s in range(50)
    ]
    assert all(w is not None and ceiling / 2 <= w <= ceiling for w in waits)
    assert len(set(waits)) > 1


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(max_attempts=20, backoff_base_seconds=0.5, backoff_cap_seconds=4.0)
    wait = policy.wait_before_retry(Unavailable("503"), 15, random.Random(1))
    assert wait is not None and wait <= 4.0


def test_a_connection_that_never_reached_leadsquared_is_retried_at_once() -> None:
    never_sent = Unreachable("connection refused")
    assert POLICY.wait_before_retry(never_sent, 1) == 0.0
    # but not in a tight loop: the second retry backs off
    second = POLICY.wait_before_retry(never_sent, 2, random.Random(0))
    assert second is not None and second > 0


def test_attempts_are_capped() -> None:
    assert POLICY.wait_before_retry(Unavailable("503"), 4) is None
    assert POLICY.wait_before_retry(Throttled("x"), 4) is None
