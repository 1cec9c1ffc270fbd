"""The schema pre-flight: its cost per activity with a warm cache, and the budget it saves.

Both measured in the runner's process: the check on its own over many activities, then the
handler on one SQS batch of 50 activities, a fifth of them with a misspelled custom field,
once with LEADSQUARED_SCHEMA_CHECK=off and once with strict, counting the calls the emulator
receives.
"""

from __future__ import annotations

import os
import time
from typing import Any

from activity_poster.leadsquared.schema import fetch_schema
from activity_poster.schema_check import SchemaCheck
from bench.activities import sqs_events
from bench.report import Row, Section
from localrun.context import LocalLambdaContext
from localrun.stack import LocalStack

LEAD_ID = "3f2a9c1e-6b7d-4e8f-a1b2-c3d4e5f60718"
CHECKS = 20_000
BATCH = 50


def _activity(i: int) -> dict[str, Any]:
    name = "mx_Custm_1" if i % 5 == 0 else "mx_Custom_1"  # one in five misspelled
    return {
        "RelatedProspectId": LEAD_ID,
        "ActivityEvent": 212,
        "ActivityNote": f"preflight {i}",
        "Fields": [{"SchemaName": name, "Value": f"v{i}"}],
    }


def _calls_for_one_batch(stack: LocalStack, mode: str) -> tuple[int, int]:
    """(calls LeadSquared received, of which reads of the activity types)."""
    from activity_poster.adapters import api
    from activity_poster.container import get_container
    from activity_poster.handler import lambda_handler

    saved = dict(os.environ)
    os.environ.update(stack.function_env())
    os.environ.update({"LEADSQUARED_SCHEMA_CHECK": mode, "POWERTOOLS_LOG_LEVEL": "ERROR"})
    get_container.cache_clear()
    api.api_adapter.cache_clear()
    stack.emulator.reset()
    try:
        [event] = sqs_events([_activity(i) for i in range(BATCH)], BATCH)
        lambda_handler(event, LocalLambdaContext(timeout_seconds=60).as_lambda_context())
        received = stack.emulator.received
        return len(received), sum(r.path.endswith("ActivityTypes.Get") for r in received)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_container.cache_clear()
        api.api_adapter.cache_clear()


def run(stack: LocalStack) -> Section:
    def request(method: str, path: str, body: Any) -> tuple[int, bytes] | None:
        import urllib3

        from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

        answer = urllib3.request(
            method,
            stack.emulator.url + path,
            headers={"x-LSQ-AccessKey": DEFAULT_ACCESS_KEY, "x-LSQ-SecretKey": DEFAULT_SECRET_KEY},
        )
        return answer.status, answer.data

    check = SchemaCheck(lambda: fetch_schema(request))
    bodies = [_activity(i) for i in range(100)]
    check.check(bodies[0])  # the read: the cache is warm from here on
    started = time.perf_counter()
    for i in range(CHECKS):
        check.check(bodies[i % 100])
    per_activity = (time.perf_counter() - started) / CHECKS * 1e6
    (off, _), (strict, reads) = (
        _calls_for_one_batch(stack, "off"),
        _calls_for_one_batch(stack, "strict"),
    )
    return Section(
        rows=[
            Row(
                "schema pre-flight: CPU per activity, warm cache (information)",
                f"{per_activity:.0f} µs",
                "-",
                "-",
                "-",
                None,
            ),
            Row(
                f"schema pre-flight: LeadSquared calls for {BATCH} activities, 20% with a "
                "misspelled field (information)",
                f"strict {strict} calls ({reads} to read the types: once, and once more "
                "before the first refusal)",
                f"off {off} calls",
                f"{strict / off:.2f}x" if off else "-",
                "-",
                None,
            ),
        ],
        notes=[
            f"Pre-flight: SchemaCheck.check over {CHECKS} activities with the account's types "
            "cached; then the handler, in the runner's process, on one SQS batch of "
            f"{BATCH} activities (one in five names mx_Custm_1), with the check off and on, "
            "counting what the emulator receives."
        ],
    )
