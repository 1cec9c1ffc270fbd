"""Delivered activities per second from one container, against a rate-limited emulator.

The emulator (in this process, so its request log can be read) answers every call after a
fixed latency and throttles each endpoint over a rolling window. One child process, the
container, invokes the handler on successive SQS batches. Two rates are computed:

- steady state, from the emulator's arrival times of the successful calls, over whole
  windows: from the first call of the second window to the first call of the last one. A
  container that starts idle gets its whole first window as a burst, which the plan's
  long-run ceiling does not include, and the last window may be cut short; this is the rate
  compared with the ceiling.
- end to end, from the container: activities delivered / (end of the last batch - start of
  the first), the first window's burst included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.activities import activity_bodies, sqs_events
from bench.report import Row, Section, ratio
from bench.spawn import run_child
from bench.standins import child_env
from leadsquared_emulator import Emulator, EmulatorConfig, RateLimit, Received
from localrun.stack import LocalStack

LATENCY = 0.3
SINGLE_ACTIVITIES = 100  # 25 in the first window, then three windows of 25
BURST_ACTIVITIES = 50
AUTO_ACTIVITIES = 600  # Standard plan: 150 per window (25 single + 5 bulk calls of 25)
AUTO_RUNS = 2
LITE_ACTIVITIES = 100  # Lite plan: at most 27 per window (2 single + 1 bulk call of 25)


@dataclass(frozen=True)
class Plan:
    name: str
    single: RateLimit
    bulk: RateLimit

    @property
    def single_ceiling(self) -> float:
        return self.single.calls / self.single.window_seconds

    @property
    def describe(self) -> str:
        return f"{self.name} {self.single} single, {self.bulk} bulk"


STANDARD = Plan("Standard", RateLimit(25, 5.0), RateLimit(5, 5.0))
LITE = Plan("Lite", RateLimit(2, 5.0), RateLimit(1, 5.0))


@dataclass(frozen=True)
class Throughput:
    posted: int
    delivered: int  # acknowledged in the handler's answers
    committed: int  # activities the emulator created
    calls: int
    bulk_calls: int
    throttled: int  # answers with status 429
    bulk_rows: float  # mean rows per successful bulk call
    steady_rate: float
    end_to_end_rate: float
    seconds: float


def _activities(received: Received) -> int:
    if "/bulk/" in received.path.lower():
        return len(received.json) if isinstance(received.json, list) else 0
    return 1


def steady_rate(received: list[Received], window: float) -> float:
    """Activities per second over whole windows after the first (see the module's docstring).

    Windows are chained on the successful calls' arrival times: the first starts with the
    first call, each next one with the first call at least `window` seconds after the start
    of the previous. The rate counts the calls from the start of the second window up to
    (not including) the start of the last, which may be incomplete.
    """
    calls = sorted((r.time, _activities(r)) for r in received if r.status == 200)
    if not calls:
        return 0.0
    starts = [calls[0][0]]
    for arrival, _ in calls:
        if arrival >= starts[-1] + window:
            starts.append(arrival)
    if len(starts) < 3:
        return math.nan
    begin, end = starts[1], starts[-1]
    return sum(n for arrival, n in calls if begin <= arrival < end) / (end - begin)


def measure(
    stack: LocalStack,
    pycache: Path,
    *,
    handler: str,
    plan: Plan,
    latency: float,
    activities: int,
    batch_size: int,
    env: dict[str, str] | None = None,
    timeout_seconds: float = 30.0,
) -> Throughput:
    """One fresh container on `activities` activities in batches of `batch_size`."""
    config = EmulatorConfig(
        rate_limit=plan.single, bulk_rate_limit=plan.bulk, latency_seconds=latency
    )
    events = sqs_events(activity_bodies(activities), batch_size)
    container = {"handler": handler, "events": events, "timeout_seconds": timeout_seconds}
    with Emulator(config) as emulator:
        run = run_child("container", child_env(stack, emulator.url, pycache, env), plan=container)
        received = emulator.received
        committed = len(emulator.created)
    bulk = [_activities(r) for r in received if r.status == 200 and "/bulk/" in r.path.lower()]
    batches: list[dict[str, Any]] = run.result["batches"]
    delivered = sum(b["records"] - b["failed"] for b in batches)
    seconds = (batches[-1]["end_ns"] - batches[0]["start_ns"]) / 1e9
    return Throughput(
        posted=activities,
        delivered=delivered,
        committed=committed,
        calls=len(received),
        bulk_calls=sum("/bulk/" in r.path.lower() for r in received),
        throttled=sum(r.status == 429 for r in received),
        bulk_rows=sum(bulk) / len(bulk) if bulk else 0.0,
        steady_rate=steady_rate(received, plan.single.window_seconds),
        end_to_end_rate=delivered / seconds,
        seconds=seconds,
    )


def _project_env(plan: Plan, mode: str, workers: int) -> dict[str, str]:
    return {
        "LEADSQUARED_RATE_LIMIT": str(plan.single),
        "LEADSQUARED_BULK_RATE_LIMIT": str(plan.bulk),
        "LEADSQUARED_CONTAINERS": "1",
        "DELIVERY_MODE": mode,
        "DELIVERY_WORKERS": str(workers),
    }


def _describe(label: str, t: Throughput) -> str:
    steady = "n/a (fewer than 3 windows)" if math.isnan(t.steady_rate) else f"{t.steady_rate:.2f}/s"
    return (
        f"{label}: {t.delivered}/{t.posted} delivered ({t.committed} created by the emulator) "
        f"in {t.calls} calls ({t.bulk_calls} bulk, {t.bulk_rows:.1f} rows each on average), "
        f"{t.throttled} throttled; "
        f"steady state {steady}, end to end {t.end_to_end_rate:.2f}/s "
        f"over {t.seconds:.1f} s"
    )


def run(stack: LocalStack, pycache: Path) -> Section:
    section = Section()
    plan = STANDARD
    ceiling = plan.single_ceiling

    # 1. Single calls, 300 ms latency, batches of 10.
    single = measure(
        stack,
        pycache,
        handler="project",
        plan=plan,
        latency=LATENCY,
        activities=SINGLE_ACTIVITIES,
        batch_size=10,
        env=_project_env(plan, "single", 10),
    )
    naive = measure(
        stack,
        pycache,
        handler="naive",
        plan=plan,
        latency=LATENCY,
        activities=SINGLE_ACTIVITIES,
        batch_size=10,
    )
    section.rows.append(
        Row(
            f"single calls, {plan.single}, 300 ms latency: activities/s (ceiling {ceiling:.2f}/s)",
            f"{single.steady_rate:.2f}/s ({single.steady_rate / ceiling:.0%} of ceiling)",
            f"{naive.steady_rate:.2f}/s ({naive.steady_rate / ceiling:.0%})",
            ratio(single.steady_rate, naive.steady_rate),
            f">= {0.95 * ceiling:.2f}/s (95% of ceiling)",
            single.steady_rate >= 0.95 * ceiling and single.delivered == single.posted,
        )
    )
    section.rows.append(
        Row(
            "single calls, 300 ms latency: throttled answers (429)",
            f"{single.throttled} of {single.calls} calls",
            f"{naive.throttled} of {naive.calls} calls",
            "-",
            "0",
            single.throttled == 0,
        )
    )

    # Without latency the naive loop outruns the limit.
    burst = measure(
        stack,
        pycache,
        handler="project",
        plan=plan,
        latency=0.0,
        activities=BURST_ACTIVITIES,
        batch_size=10,
        env=_project_env(plan, "single", 10),
    )
    naive_burst = measure(
        stack,
        pycache,
        handler="naive",
        plan=plan,
        latency=0.0,
        activities=BURST_ACTIVITIES,
        batch_size=10,
    )
    section.rows.append(
        Row(
            f"single calls, no latency, {BURST_ACTIVITIES} activities: throttled answers (429)",
            f"{burst.throttled} ({burst.delivered}/{burst.posted} delivered)",
            f"{naive_burst.throttled} ({naive_burst.delivered}/{naive_burst.posted} delivered)",
            "-",
            "0",
            burst.throttled == 0,
        )
    )

    # 2. Auto mode, batches of 100, 25 delivery threads.
    def auto_mode(tier: Plan, activities: int, workers: int = 25) -> Throughput:
        return measure(
            stack,
            pycache,
            handler="project",
            plan=tier,
            latency=LATENCY,
            activities=activities,
            batch_size=100,
            env=_project_env(tier, "auto", workers),
            timeout_seconds=60.0,
        )

    # How full the bulk calls get varies from run to run: two containers, the lower rate.
    autos = [auto_mode(plan, AUTO_ACTIVITIES) for _ in range(AUTO_RUNS)]
    auto = min(autos, key=lambda t: t.steady_rate)
    auto_throttled = sum(t.throttled for t in autos)
    auto_calls = sum(t.calls for t in autos)
    wide = auto_mode(plan, AUTO_ACTIVITIES, workers=50)
    lite = auto_mode(LITE, LITE_ACTIVITIES)
    lite_ceiling = LITE.single_ceiling
    section.rows += [
        Row(
            f"auto, {plan.describe}, batches of 100: activities/s (single ceiling {ceiling:.2f}/s)",
            f"{auto.steady_rate:.2f}/s ({auto.steady_rate / ceiling:.1f}x ceiling; lower of "
            + " and ".join(f"{t.steady_rate:.2f}" for t in autos)
            + f"), {auto.bulk_rows:.1f} rows per bulk call",
            f"{naive.steady_rate:.2f}/s (row 1)",
            ratio(auto.steady_rate, naive.steady_rate),
            f">= {2 * ceiling:.2f}/s (2x ceiling)",
            auto.steady_rate >= 2 * ceiling and all(t.delivered == t.posted for t in autos),
        ),
        Row(
            f"auto, {plan.name}, DELIVERY_WORKERS=50 (information)",
            f"{wide.steady_rate:.2f}/s ({wide.steady_rate / ceiling:.1f}x), "
            f"{wide.bulk_rows:.1f} rows per bulk call, {wide.throttled} throttled",
            f"{naive.steady_rate:.2f}/s (row 1)",
            ratio(wide.steady_rate, naive.steady_rate),
            "-",
            None,
        ),
        Row(
            f"auto, {LITE.describe}, batches of 100: activities/s "
            f"(single ceiling {lite_ceiling:.2f}/s)",
            f"{lite.steady_rate:.2f}/s ({lite.steady_rate / lite_ceiling:.1f}x ceiling)",
            "not run",
            "-",
            f">= {2 * lite_ceiling:.2f}/s (2x ceiling)",
            lite.steady_rate >= 2 * lite_ceiling and lite.delivered == lite.posted,
        ),
        Row(
            "auto, 300 ms latency: throttled answers (429)",
            f"{plan.name} {auto_throttled} of {auto_calls} ({AUTO_RUNS} runs), "
            f"{LITE.name} {lite.throttled} of {lite.calls} calls",
            "-",
            "-",
            "0",
            auto_throttled == 0 and lite.throttled == 0,
        ),
    ]
    # 3. Auto never loses to single: the template's BatchSize (10) and a 1-call bulk budget.
    thin = Plan("Standard, bulk 1/5s", plan.single, RateLimit(1, 5.0))

    def ten_per_batch(mode: str) -> Throughput:
        return measure(
            stack,
            pycache,
            handler="project",
            plan=thin,
            latency=LATENCY,
            activities=SINGLE_ACTIVITIES,
            batch_size=10,
            env=_project_env(thin, mode, 10),
        )

    thin_single, thin_auto = ten_per_batch("single"), ten_per_batch("auto")
    section.rows.append(
        Row(
            f"auto vs single, {thin.describe}, batches of 10: activities/s end to end",
            f"auto {thin_auto.end_to_end_rate:.2f}/s, {thin_auto.bulk_calls} bulk calls",
            f"single {thin_single.end_to_end_rate:.2f}/s",
            ratio(thin_auto.end_to_end_rate, thin_single.end_to_end_rate),
            ">= 0.95x single (auto never loses)",
            thin_auto.end_to_end_rate >= 0.95 * thin_single.end_to_end_rate
            and thin_auto.delivered == thin_auto.posted,
        )
    )
    section.notes += [
        _describe("auto vs single, single", thin_single),
        _describe("auto vs single, auto", thin_auto),
    ]
    section.notes += [
        "Throughput: one container process invokes the handler on successive SQS batches "
        "(built in the runner, no queue) against the emulator in the runner's process "
        f"({int(LATENCY * 1000)} ms latency on every answer, rolling-window limits). "
        "The rate compared with the ceiling is the steady state over whole windows, from "
        "the emulator's arrival times of successful calls: windows are chained from the "
        "first call (each starts with the first call at least 5 s after the previous start); "
        "rate = activities in the calls from the start of the second window to the start of "
        "the last / that time. The first window is left out because an idle container gets "
        "it as a burst the long-run ceiling does not include, the last because it may be "
        "cut short. The end-to-end rate (container clock, first batch start to last batch "
        "end, first-window burst included) is given below. Throttled = answers with status "
        "429. Project: LEADSQUARED_CONTAINERS=1, DELIVERY_WORKERS=10 (single) or 25 (auto), "
        "context timeout 30 s (single) or 60 s (auto); every run is a fresh container. The "
        "naive baseline is not run in auto mode: it makes single calls only, so its rate is "
        "the one of row 1. The emulator listens with a backlog of 128 connections, as a real "
        "API host would: a fresh container opens 25 at once.",
        _describe("single, project", single),
        _describe("single, naive", naive),
        _describe("no latency, project", burst),
        _describe("no latency, naive", naive_burst),
        *(
            _describe(f"auto Standard, project, fresh container {n}", t)
            for n, t in enumerate(autos, start=1)
        ),
        _describe("auto Standard, project, DELIVERY_WORKERS=50", wide),
        _describe("auto Lite, project", lite),
    ]
    return section
