"""A fresh process's first delivery: the function against the least any client must do.

Both run as fresh child processes, alternating, with the function's environment (moto for
Secrets Manager and the emulator, without latency or limits, in the runner's process). The
time counted runs from just before the runner starts the process (interpreter start
included) to the end of the delivery in the child: the runner stamps time.time_ns() before
spawning, the child stamps it when the answer is in; interpreter shutdown is not counted.

- the function: `import activity_poster.handler`, then `lambda_handler` on an SQS event
  with one record (settings, the secret from moto, one call to the emulator);
- the floor: import boto3 and urllib3, create a Secrets Manager client, read the secret,
  post the same activity once, check `Status`.

Bytecode is present, as in the built artifact (`make build` compiles it): see bytecode.py.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.activities import activity_bodies, sqs_events
from bench.report import Row, Section, ratio
from bench.spawn import ChildRun, run_child
from bench.standins import child_env
from localrun.stack import LocalStack

RUNS = 9
API_RUNS = 5
API_EVENT = Path(__file__).resolve().parent.parent / "events" / "api-v1-post.json"
TARGET_RATIO = 1.5


def _ms(start_ns: int, end_ns: int) -> float:
    return (end_ns - start_ns) / 1e6


def api_event(body: str) -> dict[str, Any]:
    """The sample REST API event (POST /activities), carrying `body`."""
    event: dict[str, Any] = json.loads(API_EVENT.read_text(encoding="utf-8"))
    event["body"] = body
    return event


def _interpreter_start_ms(env: dict[str, str], runs: int = 7) -> float:
    """Median wall time of `python -c pass`, start to exit, for scale."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(stack: LocalStack, pycache: Path) -> Section:
    env = child_env(stack, stack.emulator.url, pycache)
    event = sqs_events(activity_bodies(1), 1)[0]
    event_text = json.dumps(event)
    body_text = event["Records"][0]["body"]

    def project() -> ChildRun:
        return run_child("cold_project", env, args=(event_text,))

    def project_api() -> ChildRun:
        return run_child("cold_project", env, args=(json.dumps(api_event(body_text)),))

    def floor() -> ChildRun:
        return run_child("cold_floor", env, args=(body_text,))

    project()  # warm-ups, discarded: moto and the emulator see a client once
    floor()
    project_api()
    runs: dict[str, list[ChildRun]] = {"project": [], "floor": []}
    for index in range(RUNS):
        order = [("project", project), ("floor", floor)]
        for name, measure in order if index % 2 == 0 else reversed(order):
            runs[name].append(measure())
    runs["api"] = [project_api() for _ in range(API_RUNS)]
    for name, done in runs.items():
        if not all(r.result["delivered"] for r in done):
            raise RuntimeError(f"a cold-start run of the {name} did not deliver its activity")

    def median(name: str, start: str, end: str) -> float:
        return statistics.median(
            _ms(r.spawned_ns if start == "spawn" else r.result[start], r.result[end])
            for r in runs[name]
        )

    project_ms = median("project", "spawn", "done_ns")
    floor_ms = median("floor", "spawn", "done_ns")
    api_ms = median("api", "spawn", "done_ns")
    spread = {
        name: (
            min(_ms(r.spawned_ns, r.result["done_ns"]) for r in done),
            max(_ms(r.spawned_ns, r.result["done_ns"]) for r in done),
        )
        for name, done in runs.items()
    }
    section = Section()
    section.rows.append(
        Row(
            f"cold start to first delivery, ms (median of {RUNS}, bytecode present)",
            f"{project_ms:.0f} ms",
            f"floor: {floor_ms:.0f} ms",
            ratio(project_ms, floor_ms),
            f"<= {TARGET_RATIO}x floor",
            project_ms <= TARGET_RATIO * floor_ms,
        )
    )
    section.rows.append(
        Row(
            f"cold start to first delivery, API request (POST /activities), ms (median of "
            f"{API_RUNS}, information)",
            f"{api_ms:.0f} ms",
            f"floor: {floor_ms:.0f} ms",
            ratio(api_ms, floor_ms),
            "-",
            None,
        )
    )
    section.notes += [
        "Cold start: fresh child processes, alternating function and floor, "
        f"{RUNS} runs each after one discarded warm-up of each; time from just before the "
        "runner spawns the process (interpreter start included) to the end of the delivery "
        "in the child (time.time_ns in both; shutdown not counted). The function imports "
        "activity_poster.handler and handles an SQS event of one record; the floor imports "
        "boto3 and urllib3, creates a Secrets Manager client, reads the secret and posts the "
        "same activity once. moto and the emulator (no latency) run in the runner; the "
        "function's stdout (log lines, EMF metrics) goes to /dev/null. Bytecode present (see "
        "the note on bytecode).",
        f"cold start, function: median {project_ms:.0f} ms "
        f"(min {spread['project'][0]:.0f}, max {spread['project'][1]:.0f}); of which "
        f"interpreter start and imports {median('project', 'spawn', 'imported_ns'):.0f} ms, "
        f"first invocation {median('project', 'imported_ns', 'done_ns'):.0f} ms",
        f"cold start, floor: median {floor_ms:.0f} ms "
        f"(min {spread['floor'][0]:.0f}, max {spread['floor'][1]:.0f}); of which "
        f"interpreter start and imports {median('floor', 'spawn', 'imported_ns'):.0f} ms, "
        f"client, secret and call {median('floor', 'imported_ns', 'done_ns'):.0f} ms; "
        f"`python -c pass` takes {_interpreter_start_ms(env):.0f} ms start to exit",
        f"cold start, API request: the same activity in a REST API event "
        f"(events/api-v1-post.json with its body replaced), answered 201; median {api_ms:.0f} "
        f"ms, of which interpreter start and imports {median('api', 'spawn', 'imported_ns'):.0f}"
        f" ms, first invocation {median('api', 'imported_ns', 'done_ns'):.0f} ms",
    ]
    return section
