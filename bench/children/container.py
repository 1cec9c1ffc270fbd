"""One warm Lambda container: invoke a handler on successive SQS batches.

Usage: python -m bench.children.container RESULT PLAN, where PLAN is a JSON file
`{"handler": "project" | "naive", "events": [...], "warmup": 1, "timeout_seconds": 30}`.
The first `warmup` events are handled before measuring starts; for the others the result
holds each batch's wall-clock start and end, and the process's CPU time and peak RSS.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any, cast

from bench.children.common import BenchContext, cpu_seconds, peak_rss_kb, write_result

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def load_handler(name: str) -> Handler:
    if name == "project":
        from activity_poster.handler import lambda_handler

        return cast(Handler, lambda_handler)
    if name == "naive":
        from bench.naive import handle

        return handle
    raise ValueError(f"unknown handler {name!r}")


def main() -> None:
    result_path, plan_path = sys.argv[1], sys.argv[2]
    with open(plan_path, encoding="utf-8") as file:
        plan = json.load(file)
    events: list[dict[str, Any]] = plan["events"]
    warmup = int(plan.get("warmup", 0))
    timeout = float(plan["timeout_seconds"])
    handler = load_handler(plan["handler"])
    for event in events[:warmup]:
        handler(event, BenchContext(timeout))
    user0, sys0 = cpu_seconds()
    batches = []
    for event in events[warmup:]:
        started = time.time_ns()
        answer = handler(event, BenchContext(timeout))
        ended = time.time_ns()
        batches.append(
            {
                "start_ns": started,
                "end_ns": ended,
                "records": len(event["Records"]),
                "failed": len(answer.get("batchItemFailures", [])),
            }
        )
    user1, sys1 = cpu_seconds()
    write_result(
        result_path,
        {
            "batches": batches,
            "user_seconds": user1 - user0,
            "system_seconds": sys1 - sys0,
            "peak_rss_kb": peak_rss_kb(),
        },
    )


if __name__ == "__main__":
    main()
