"""The account's budget shared by several containers: throughput against the plan's ceiling,
API latency during a full drain, and what the budget costs per call.

Four containers are four threads, each with its own budget object, DynamoDB client and
connection pool (as separate Lambda containers have), drawing on one budget table on moto
against the emulator's rolling-window limit with 300 ms latency.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections import Counter

from activity_poster.budget import AccountBudget
from activity_poster.credentials import ApiKeys
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.ratelimit import RateLimit
from bench.report import Row, Section
from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from leadsquared_emulator import RateLimit as EmulatorRateLimit
from localrun.stack import LocalStack

KEYS = ApiKeys(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
LEAD_ID = "3f2a9c1e-6b7d-4e8f-a1b2-c3d4e5f60718"
PLAN = RateLimit(25, 5.0)
CEILING = PLAN.calls / PLAN.window_seconds
ACTIVITIES = 400
CONTAINERS = 4
API_REQUESTS = 20


_COUNT_LOCK = threading.Lock()


def _counting_client(stack: LocalStack, counts: Counter[str]) -> object:
    client = stack.client("dynamodb")

    def count(event_name: str, **_: object) -> None:
        with _COUNT_LOCK:
            counts[event_name.rsplit(".", 1)[-1]] += 1

    client.meta.events.register("before-call.dynamodb", count)
    return client


def _activity(note: str) -> dict[str, object]:
    return {"RelatedProspectId": LEAD_ID, "ActivityEvent": 212, "ActivityNote": note}


def run(stack: LocalStack) -> Section:
    emulator = stack.emulator
    emulator.reset()
    emulator.configure(rate_limit=EmulatorRateLimit(PLAN.calls, PLAN.window_seconds))
    emulator.configure(latency_seconds=0.3)
    table = stack.create_budget_table(f"bench-budget-{uuid.uuid4().hex[:8]}")
    counts: Counter[str] = Counter()
    notes = iter(range(ACTIVITIES))
    lock = threading.Lock()
    waits: list[float] = []

    def container() -> None:
        budget = AccountBudget(
            table,
            "standard",
            PLAN,
            client=_counting_client(stack, counts),  # type: ignore[arg-type]
        ).deferring(0.15)
        client = LeadSquaredClient(emulator.url, connect_timeout=2.0, read_timeout=10.0)
        while True:
            with lock:
                note = next(notes, None)
            if note is None:
                return
            budget.acquire()
            client.create_activity(_activity(f"drain {note}"), KEYS)

    def api_caller() -> None:
        budget = AccountBudget(table, "standard", PLAN, client=stack.client("dynamodb"))
        client = LeadSquaredClient(emulator.url, connect_timeout=2.0, read_timeout=10.0)
        for i in range(API_REQUESTS):
            started = time.perf_counter()
            budget.acquire()
            outcome = client.create_activity(_activity(f"api {i}"), KEYS)
            latency = time.perf_counter() - started
            waits.append(latency if type(outcome).__name__ == "Delivered" else float("inf"))
            time.sleep(max(0.0, 1.0 - latency))

    started = time.perf_counter()
    threads = [threading.Thread(target=container) for _ in range(CONTAINERS)]
    for thread in threads:
        thread.start()
    time.sleep(10.0)  # the drain is at full speed
    api = threading.Thread(target=api_caller)
    api.start()
    for thread in [*threads, api]:
        thread.join()
    elapsed = time.perf_counter() - started
    received = emulator.received
    throttled = sum(r.status == 429 for r in received)
    drained = [r.time for r in received if "drain" in str((r.json or {}).get("ActivityNote"))]
    # The account's use: the drain and the API requests together, against its ceiling.
    rate = _steady_rate([r.time for r in received if r.status == 200], PLAN.window_seconds)
    api_p95 = sorted(waits)[int(0.95 * (len(waits) - 1))]
    requests_per_call = sum(counts.values()) / max(1, len(drained))

    # The budget's own cost: take a free lease, uncontended, many times.
    own = AccountBudget(table, "quiet", RateLimit(1000, 5.0), client=stack.client("dynamodb"))
    costs = []
    for _ in range(200):
        began = time.perf_counter()
        own.acquire()
        costs.append((time.perf_counter() - began) * 1000)
    p50, p99 = statistics.median(costs), sorted(costs)[int(0.99 * (len(costs) - 1))]

    emulator.configure(rate_limit=None, latency_seconds=0.0)
    return Section(
        rows=[
            Row(
                f"{CONTAINERS} containers sharing one budget, 25/5s, 300 ms latency, "
                f"{ACTIVITIES} activities and {API_REQUESTS} API requests: calls/s "
                f"(account ceiling {CEILING:.2f}/s)",
                f"{rate:.2f}/s ({rate / CEILING:.0%} of ceiling), {throttled} throttled",
                "-",
                "-",
                ">= 90% of ceiling, 0 throttled",
                rate >= 0.9 * CEILING and throttled == 0,
            ),
            Row(
                f"API requests during that drain ({API_REQUESTS} at 1/s): p95 latency "
                "(LeadSquared answers in 300 ms)",
                f"{api_p95:.2f} s, {sum(w != float('inf') for w in waits)}/{len(waits)} 201",
                "-",
                "-",
                "<= 1.5 s, every one 201",
                api_p95 <= 1.5 and all(w != float("inf") for w in waits),
            ),
            Row(
                "the budget's cost per call: added latency p50 / p99 (moto on loopback), "
                "DynamoDB requests per delivered activity during the drain (information)",
                f"{p50:.1f} / {p99:.1f} ms, {requests_per_call:.1f} requests",
                "-",
                "-",
                "-",
                None,
            ),
        ],
        notes=[
            f"Budget: {CONTAINERS} threads, each a container with its own budget object, "
            "DynamoDB client and connection pool, drain activities through one budget table on "
            "moto (batches defer 0.15 s to API callers), against the emulator's rolling-window "
            f"limit of 25 calls per 5 s with 300 ms latency; after 10 s, {API_REQUESTS} API "
            "requests at one per second take leases without deferring. Throughput is the "
            "steady state over whole windows from the emulator's arrival times; DynamoDB "
            "requests are counted by a botocore hook on the drain's clients. Total "
            f"{elapsed:.0f} s.",
        ],
    )


def _steady_rate(times: list[float], window: float) -> float:
    """Arrivals per second over the whole windows between the first and the last arrival."""
    if len(times) < 2:
        return 0.0
    ordered = sorted(times)
    windows = int((ordered[-1] - ordered[0]) // window)
    if windows < 1:
        return 0.0
    end = ordered[0] + windows * window
    return sum(1 for t in ordered if t < end) / (windows * window)
