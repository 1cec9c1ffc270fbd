"""One outcome line per activity, with correlation ids; EMF metrics for every outcome."""

from __future__ import annotations

import json

from leadsquared_emulator import Emulator, Fault
from tests.integration.events import UNKNOWN_LEAD_ID, activity, api_v1_event, sqs_event


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def emf(out: str) -> dict[str, list[float]]:
    """Metric name -> values, from the EMF document(s) Powertools printed."""
    values: dict[str, list[float]] = {}
    for document in lines(out):
        if "_aws" not in document:
            continue
        for definition in document["_aws"]["CloudWatchMetrics"]:
            assert definition["Namespace"] == "LeadSquaredActivityPoster"
            for metric in definition["Metrics"]:
                value = document[metric["Name"]]
                values.setdefault(metric["Name"], []).extend(
                    value if isinstance(value, list) else [value]
                )
    return values


def test_one_outcome_line_per_activity_with_its_message_id(invoke, emulator: Emulator, logs):
    emulator.inject(Fault.HTTP_503, times=1)

    invoke(sqs_event(activity(), activity(RelatedProspectId=UNKNOWN_LEAD_ID), "nope"))

    outcomes = [line for line in lines(logs.getvalue()) if "outcome" in line]
    assert [(o["message_id"], o["outcome"]) for o in outcomes] == [
        ("msg-0", "delivered"),
        ("msg-1", "rejected"),
        ("msg-2", "invalid"),
    ]
    delivered = outcomes[0]
    assert delivered["activity_id"] == emulator.created[0].activity_id
    assert delivered["attempts"] == 2
    assert delivered["latency_ms"] > 0
    assert outcomes[1]["error_type"] == "MXInvalidEntityException"


def test_api_lines_carry_the_request_id(invoke, emulator: Emulator, logs):
    event = api_v1_event(activity())

    invoke(event)

    outcome = next(line for line in lines(logs.getvalue()) if "outcome" in line)
    assert outcome["correlation_id"] == event["requestContext"]["requestId"]


def test_metrics_count_every_outcome(invoke, emulator: Emulator, capsys):
    emulator.inject(Fault.THROTTLE, times=1)

    invoke(sqs_event(activity(), activity(), activity(RelatedProspectId=UNKNOWN_LEAD_ID), "{"))

    metrics = emf(capsys.readouterr().out)
    assert sum(metrics["Delivered"]) == 2
    assert sum(metrics["Rejected"]) == 2
    assert sum(metrics["Throttled"]) == 1
    assert sum(metrics["Retried"]) == 1
    assert len(metrics["UpstreamLatency"]) == 4  # one per call LeadSquared answered


def test_counts_are_one_value_per_invocation(invoke, emulator: Emulator, capsys):
    invoke(sqs_event(activity(), activity(), activity()))
    invoke(sqs_event(activity()))

    metrics = emf(capsys.readouterr().out)
    # Summed per invocation (dashboards and alarms read Sum); latencies stay one per call.
    assert metrics["Delivered"] == [3.0, 1.0]
    assert len(metrics["UpstreamLatency"]) == 4


def test_cold_start_is_counted_once(invoke, emulator: Emulator, capsys):
    from aws_lambda_powertools.metrics.provider import cold_start

    cold_start.reset_cold_start_flag()  # as in a fresh container
    invoke(sqs_event(activity()))
    invoke(sqs_event(activity()))

    assert sum(emf(capsys.readouterr().out).get("ColdStart", [])) == 1


def test_a_container_logs_its_version_once_at_cold_start(stack):
    import subprocess
    import sys

    import activity_poster

    env = stack.function_env() | {"PYTHONPATH": "src:emulator:.", "POWERTOOLS_LOG_LEVEL": "INFO"}
    result = subprocess.run(
        [sys.executable, "-c", "import activity_poster.handler"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    [line] = [json.loads(text) for text in result.stdout.splitlines() if text.startswith("{")]
    assert line["message"] == "container started"
    assert line["version"] == activity_poster.__version__ == "0.2.0"
