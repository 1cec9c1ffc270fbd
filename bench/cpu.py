"""CPU time of the function per 1,000 activities, against a bare urllib3 loop.

The emulator runs in a process of its own (no latency, no rate limit), moto in the runner,
so the measured child does only its own work. In fresh child processes:

- the function: one warm-up batch (imports done, the secret read and cached), then 1,000
  activities in SQS batches of 10 through `lambda_handler`, DELIVERY_MODE=single, no
  client-side rate limit, DELIVERY_WORKERS=1 (threads add CPU for nothing without latency;
  10 is reported for information);
- the floor: one PoolManager, one warm-up post, then the same 1,000 bodies serialised,
  posted and their answers parsed for `Status`.

CPU is user + system time of the whole child (getrusage RUSAGE_SELF) over the measured part.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.activities import activity_bodies, sqs_events
from bench.report import Row, Section, ratio
from bench.spawn import ChildRun, run_child
from bench.standins import child_env
from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from localrun.stack import LocalStack

ACTIVITIES = 1000
BATCH_SIZE = 10
REPEATS = 5


def _cpu(run: ChildRun) -> float:
    return float(run.result["user_seconds"] + run.result["system_seconds"])


def run(stack: LocalStack, pycache: Path, emulator_url: str) -> Section:
    bodies = activity_bodies(ACTIVITIES)
    events = sqs_events(activity_bodies(BATCH_SIZE, start=ACTIVITIES), BATCH_SIZE)
    events += sqs_events(bodies, BATCH_SIZE)

    def project(workers: int, log_level: str = "INFO") -> ChildRun:
        env = child_env(
            stack,
            emulator_url,
            pycache,
            {
                "DELIVERY_MODE": "single",
                "DELIVERY_WORKERS": str(workers),
                "POWERTOOLS_LOG_LEVEL": log_level,
            },
        )
        plan = {"handler": "project", "events": events, "warmup": 1, "timeout_seconds": 60}
        child = run_child("container", env, plan=plan)
        delivered = sum(b["records"] - b["failed"] for b in child.result["batches"])
        if delivered != ACTIVITIES:
            raise RuntimeError(f"the function delivered {delivered} of {ACTIVITIES}")
        return child

    def floor(*, new_connections: bool = False) -> ChildRun:
        plan = {
            "bodies": bodies,
            "access_key": DEFAULT_ACCESS_KEY,
            "secret_key": DEFAULT_SECRET_KEY,
            "new_connections": new_connections,
        }
        child = run_child("bare_posts", child_env(stack, emulator_url, pycache), plan=plan)
        if child.result["delivered"] != ACTIVITIES:
            raise RuntimeError(f"the floor delivered {child.result['delivered']} of {ACTIVITIES}")
        return child

    project_runs: list[ChildRun] = []
    floor_runs: list[ChildRun] = []
    for index in range(REPEATS):
        if index % 2 == 0:
            project_runs.append(project(1))
            floor_runs.append(floor())
        else:
            floor_runs.append(floor())
            project_runs.append(project(1))
    threaded = project(10)
    quiet = project(1, log_level="WARNING")
    unpooled = floor(new_connections=True)
    project_cpu = statistics.median(_cpu(r) for r in project_runs)
    floor_cpu = statistics.median(_cpu(r) for r in floor_runs)
    threaded_cpu = _cpu(threaded)
    unpooled_cpu = _cpu(unpooled)
    quiet_cpu = _cpu(quiet)
    section = Section()
    section.rows += [
        Row(
            f"CPU s per {ACTIVITIES:,} activities, batches of 10, workers=1, median of {REPEATS} "
            "(information)",
            f"{project_cpu:.2f} s",
            f"floor: {floor_cpu:.2f} s",
            ratio(project_cpu, floor_cpu),
            "-",
            None,
        ),
        Row(
            f"CPU s per {ACTIVITIES:,} activities, workers=10 (information)",
            f"{threaded_cpu:.2f} s",
            f"floor: {floor_cpu:.2f} s",
            ratio(threaded_cpu, floor_cpu),
            "-",
            None,
        ),
        Row(
            f"CPU s per {ACTIVITIES:,} activities, workers=1, POWERTOOLS_LOG_LEVEL=WARNING: no "
            "line for a delivered activity (information)",
            f"{quiet_cpu:.2f} s",
            f"floor: {floor_cpu:.2f} s",
            ratio(quiet_cpu, floor_cpu),
            "-",
            None,
        ),
        Row(
            f"CPU s per {ACTIVITIES:,} activities, bare loop opening a connection per POST "
            "(information)",
            f"{project_cpu:.2f} s (workers=1)",
            f"{unpooled_cpu:.2f} s",
            ratio(project_cpu, unpooled_cpu),
            "-",
            None,
        ),
    ]
    section.notes += [
        "CPU: fresh child processes against an emulator in a process of its own (no latency, "
        "no rate limit), moto in the runner. The function: one warm-up batch (imports, secret "
        f"read and cached), then {ACTIVITIES:,} activities in SQS batches of {BATCH_SIZE} "
        "through lambda_handler, DELIVERY_MODE=single, no client-side rate limit, log lines "
        "and EMF metrics written to /dev/null. The floor: one urllib3 PoolManager, one "
        f"warm-up post, then the same {ACTIVITIES:,} bodies serialised, posted and answered "
        "(JSON parsed, Status checked). CPU = user + system time of the whole child "
        f"(getrusage) over the measured part; function and floor alternate, {REPEATS} runs "
        "each, median.",
        "CPU runs, function workers=1: "
        + ", ".join(f"{_cpu(r):.2f} s (user {r.result['user_seconds']:.2f})" for r in project_runs)
        + "; floor: "
        + ", ".join(f"{_cpu(r):.2f} s (user {r.result['user_seconds']:.2f})" for r in floor_runs)
        + f"; function workers=10: {threaded_cpu:.2f} s; function at log level WARNING: "
        f"{quiet_cpu:.2f} s; bare loop with a new connection per "
        f"POST (Connection: close): {unpooled_cpu:.2f} s. The floor keeps its "
        "connection open, as the function does; without that, the same loop costs about as "
        "much as the function.",
    ]
    return section
