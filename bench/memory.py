"""Peak resident memory of a warm container, against the naive baseline's.

Each handler runs in a fresh child process on 50 SQS batches of 10 activities against an
emulator without latency or limits (pacing does not change what is held in memory); the
result is the child's peak RSS (VmHWM; see children/common.py for why not ru_maxrss),
interpreter and imports included.
"""

from __future__ import annotations

from pathlib import Path

from bench.activities import activity_bodies, sqs_events
from bench.report import Row, Section, ratio
from bench.spawn import ChildRun, run_child
from bench.standins import child_env
from localrun.stack import LocalStack

BATCHES = 50
BATCH_SIZE = 10
TARGET_MB = 100.0


def _megabytes(run: ChildRun) -> float:
    return float(run.result["peak_rss_kb"]) / 1024


def run(stack: LocalStack, pycache: Path, emulator_url: str) -> Section:
    events = sqs_events(activity_bodies(BATCHES * BATCH_SIZE), BATCH_SIZE)
    env = child_env(stack, emulator_url, pycache, {"DELIVERY_MODE": "single"})
    runs = {
        handler: run_child(
            "container",
            env,
            plan={"handler": handler, "events": events, "timeout_seconds": 60},
        )
        for handler in ("project", "naive")
    }
    for handler, done in runs.items():
        delivered = sum(b["records"] - b["failed"] for b in done.result["batches"])
        if delivered != BATCHES * BATCH_SIZE:
            raise RuntimeError(f"the {handler} handler delivered {delivered} activities")
    project_mb, naive_mb = _megabytes(runs["project"]), _megabytes(runs["naive"])
    section = Section()
    section.rows.append(
        Row(
            f"peak RSS, warm container, {BATCHES} batches of {BATCH_SIZE}, MB",
            f"{project_mb:.1f} MB",
            f"{naive_mb:.1f} MB",
            ratio(project_mb, naive_mb),
            f"<= {TARGET_MB:.0f} MB",
            project_mb <= TARGET_MB,
        )
    )
    section.notes.append(
        f"Memory: a fresh child per handler, {BATCHES} SQS batches of {BATCH_SIZE} against "
        "the emulator process (no latency, no limit); peak RSS = VmHWM of the child "
        "(interpreter, imports and every batch; getrusage's ru_maxrss is not used because on "
        "Linux it starts from the size of the process that spawned the child: the runner, "
        "with moto loaded). Function: DELIVERY_MODE=single, DELIVERY_WORKERS=10 (the "
        "default), no client-side rate limit."
    )
    return section
