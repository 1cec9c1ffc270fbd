"""The policy's table: one rule per outcome type, and the rules that protect activities."""

from __future__ import annotations

import typing

import pytest

from activity_poster import outcomes
from activity_poster.policy import RULES, Again, OnQueue, RetryPolicy, dead_letter_reason, rule

EVERY_OUTCOME = typing.get_args(outcomes.Outcome)


def test_every_outcome_type_has_exactly_one_rule() -> None:
    assert set(RULES) == set(EVERY_OUTCOME)


@pytest.mark.parametrize("kind", EVERY_OUTCOME, ids=lambda kind: kind.__name__)
def test_only_a_confirmed_delivery_or_a_dead_letter_leaves_the_queue(kind: type) -> None:
    leaves = RULES[kind].queue in (OnQueue.ACKNOWLEDGE, OnQueue.DEAD_LETTER)
    confirmed = kind in (outcomes.Delivered, outcomes.AlreadyDelivered)
    refused = kind in (outcomes.Invalid, outcomes.Rejected, outcomes.KeyReused)
    assert leaves == (confirmed or refused)


def test_answers_that_may_have_created_the_activity_are_never_dead_lettered() -> None:
    for kind in (outcomes.TimedOut, outcomes.ConnectionLost, outcomes.Unaccounted):
        assert RULES[kind].queue is OnQueue.LOOK_UP_LATER


def test_a_lookalike_type_gets_its_own_rule() -> None:
    """Types that share a base are still told apart: a timeout is not a lost connection."""
    assert rule(outcomes.TimedOut("x")).status == 504
    assert rule(outcomes.ConnectionLost("x")).status == 502
    assert outcomes.TimedOut("x") != outcomes.ConnectionLost("x")


def test_final_outcomes_are_not_retried_in_the_invocation() -> None:
    policy = RetryPolicy()
    for kind, entry in RULES.items():
        if entry.again is Again.NEVER:
            sample = {
                outcomes.Invalid: lambda: outcomes.Invalid(()),
                outcomes.Rejected: lambda: outcomes.Rejected("MXX", "no"),
            }.get(kind)
            value = sample() if sample else _make(kind)
            assert policy.wait_before_retry(value, 1) is None


def test_dead_letter_reasons() -> None:
    invalid = outcomes.Invalid(({"field": "ActivityEvent", "message": "is required"},), more=2)
    assert dead_letter_reason(invalid) == (
        "InvalidActivity",
        "ActivityEvent: is required; and 2 more",
    )
    assert dead_letter_reason(outcomes.Rejected("MXInvalidEntityException", "no lead")) == (
        "MXInvalidEntityException",
        "no lead",
    )


def _make(kind: type) -> outcomes.Outcome:
    try:
        return kind("x")
    except TypeError:
        return kind()
