"""One budget per LeadSquared account, shared by every container (DynamoDB on moto)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activity_poster.budget import AccountBudget, DailyLimit
from activity_poster.credentials import ApiKeys
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.ratelimit import DailyLimitReached, RateLimit
from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator
from leadsquared_emulator import RateLimit as EmulatorRateLimit
from localrun.stack import LocalStack
from tests.integration.events import activity, api_v1_event, sqs_event

KEYS = ApiKeys(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


@pytest.fixture
def table(stack: LocalStack) -> str:
    return stack.create_budget_table(f"budget-{uuid.uuid4().hex[:8]}")


def most_in_any_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    return max(
        (sum(1 for u in ordered if t <= u < t + window) for t in ordered),
        default=0,
    )


def test_containers_sharing_one_budget_are_never_throttled(
    stack: LocalStack, emulator: Emulator, table: str
):
    """Four containers (threads, each with its own pacer, DynamoDB client and connection
    pool) drain 40 activities against an account limit of 5 calls per second."""
    emulator.configure(rate_limit=EmulatorRateLimit(5, 1.0))
    notes = iter(range(40))
    lock = threading.Lock()

    def container() -> None:
        budget = AccountBudget(
            table, "standard", RateLimit(5, 1.0), client=stack.client("dynamodb")
        )
        client = LeadSquaredClient(emulator.url, connect_timeout=1.0, read_timeout=5.0)
        while True:
            with lock:
                note = next(notes, None)
            if note is None:
                return
            assert budget.acquire()
            client.create_activity(activity(ActivityNote=f"n{note}"), KEYS)

    threads = [threading.Thread(target=container) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status for r in emulator.received].count(429) == 0
    assert len(emulator.created) == 40
    assert most_in_any_window([r.time for r in emulator.received], 1.0) <= 5


def test_api_callers_take_a_freed_lease_before_batches(stack: LocalStack, table: str):
    clock = SimulatedClock()
    interactive = AccountBudget(
        table, "standard", RateLimit(2, 5.0), client=stack.client("dynamodb"), clock=clock
    )
    batch = interactive.deferring(0.25)

    assert batch.try_acquire() is True
    assert batch.try_acquire() is False  # batches space their leases at the plan's rate
    clock.now += 2.5
    assert batch.try_acquire() is True
    assert interactive.try_acquire() is False  # the window is full
    clock.now += 2.65  # the first lease is free again (window + margin)
    assert batch.try_acquire() is False  # just freed: left to API callers for 0.25 s
    assert interactive.try_acquire() is True  # an API request takes it at once
    clock.now += 2.8  # the second lease has been free for 0.25 s
    assert batch.try_acquire() is True  # then the batch takes what is left


class SimulatedClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_lease_dated_again_counts_from_then_in_every_container(stack: LocalStack, table: str):
    clock = SimulatedClock()
    first, other = (
        AccountBudget(
            table, "standard", RateLimit(1, 5.0), client=stack.client("dynamodb"), clock=clock
        )
        for _ in range(2)
    )
    assert first.try_acquire() is True
    clock.now += 0.3  # the call's new connection is open only now
    first.redate()

    clock.now += 4.9  # free by the first date (window + margin), not by the second
    assert other.try_acquire() is False
    clock.now += 0.25
    assert other.try_acquire() is True
    first.redate()  # the lease is no longer first's: it stays where the other put it
    clock.now += 5.05
    assert first.try_acquire() is False


def test_a_lease_that_cannot_be_dated_again_leaves_the_call_alone(
    stack: LocalStack, table: str, logs
):
    budget = AccountBudget(table, "standard", RateLimit(1, 5.0), client=stack.client("dynamodb"))
    assert budget.try_acquire() is True
    stack.client("dynamodb").delete_table(TableName=table)

    budget.redate()  # DynamoDB refuses (no table): the call goes on, its lease as taken

    assert "could not date a budget lease again" in logs.getvalue()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 3), st.floats(0.0, 0.4), st.floats(-0.05, 0.05)),
        min_size=5,
        max_size=40,
    )
)
def test_no_interleaving_puts_more_than_n_calls_in_a_window(stack: LocalStack, steps):
    """Four containers, clocks skewed by up to the margin, try for a lease in any order as
    simulated time goes on: no window of W seconds ever holds more than N taken leases."""
    name = f"budget-{uuid.uuid4().hex[:8]}"
    stack.create_budget_table(name)
    clock = SimulatedClock()
    skews = [0.0, 0.0, 0.0, 0.0]
    budgets = [
        AccountBudget(
            name,
            "standard",
            RateLimit(3, 1.0),
            margin_seconds=0.1,
            client=stack.client("dynamodb"),
            clock=(lambda i=i: clock() + skews[i]),
        )
        for i in range(4)
    ]
    taken: list[float] = []
    for who, advance, skew in steps:
        clock.now += advance
        skews[who] = skew
        if budgets[who].try_acquire():
            taken.append(clock.now)  # the true time of the call

    assert most_in_any_window(taken, 1.0) <= 3


def test_the_daily_limit_stops_calls_until_the_reset(stack: LocalStack, table: str):
    budget = AccountBudget(
        table,
        "standard",
        RateLimit(100, 1.0),
        daily=DailyLimit(2),
        client=stack.client("dynamodb"),
    )

    assert budget.acquire() and budget.acquire()
    with pytest.raises(DailyLimitReached) as spent:
        budget.acquire()

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    expected = (tomorrow - datetime.now(UTC)).total_seconds()
    assert abs(spent.value.seconds_to_reset - expected) < 5


@pytest.fixture
def account_budget(stack: LocalStack, set_env, table: str) -> str:
    set_env(LEADSQUARED_BUDGET_TABLE=table, LEADSQUARED_RATE_LIMIT="100/1s")
    return table


def test_over_the_daily_limit_sqs_waits_for_the_reset_and_nothing_is_dead_lettered(
    invoke, emulator: Emulator, stack: LocalStack, account_budget, set_env
):
    queues = stack.create_queues(f"daily-{uuid.uuid4().hex[:8]}", visibility_timeout=30)
    set_env(LEADSQUARED_DAILY_LIMIT="2", DEAD_LETTER_QUEUE_URL=queues.dlq_url)
    sqs = stack.client("sqs")
    for note in ("a", "b", "c"):
        sqs.send_message(QueueUrl=queues.url, MessageBody=json.dumps(activity(ActivityNote=note)))
    messages = sqs.receive_message(
        QueueUrl=queues.url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    event = {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": queues.arn,
            }
            for m in messages
        ]
    }

    answer = invoke(event)

    assert len(emulator.created) == 2
    assert len(failed_ids(answer)) == 1
    assert sqs.receive_message(QueueUrl=queues.dlq_url).get("Messages", []) == []
    time.sleep(1.0)  # the failed one is not back: it waits for the daily reset
    assert sqs.receive_message(QueueUrl=queues.url).get("Messages", []) == []


def test_over_the_daily_limit_the_api_answers_429_until_the_reset(
    invoke, emulator: Emulator, account_budget, set_env
):
    set_env(LEADSQUARED_DAILY_LIMIT="1")
    assert invoke(api_v1_event(activity()))["statusCode"] == 201

    answer = invoke(api_v1_event(activity(ActivityNote="over")))

    assert answer["statusCode"] == 429
    retry_after = int(answer["multiValueHeaders"]["Retry-After"][0])
    assert 0 < retry_after <= 86400
    assert len(emulator.created) == 1


def test_the_function_paces_through_the_shared_budget(
    invoke, emulator: Emulator, account_budget, set_env
):
    emulator.configure(rate_limit=EmulatorRateLimit(3, 0.5))
    set_env(LEADSQUARED_RATE_LIMIT="3/0.5s", DELIVERY_WORKERS="4")

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(8)]))

    assert failed_ids(answer) == []
    assert [r.status for r in emulator.received].count(429) == 0
