"""X-Ray tracing is loaded only when the deployment turns it on."""

from __future__ import annotations

import subprocess
import sys

from leadsquared_emulator import Emulator
from localrun.context import LocalLambdaContext
from tests.integration.events import activity, sqs_event


def import_handler(trace_disabled: str) -> tuple[bool, bool]:
    """(whether lambda_handler is the plain handler, whether the X-Ray SDK was imported),
    from a fresh interpreter."""
    code = (
        "import sys, activity_poster.handler as h; "
        "print(h.lambda_handler is h._handle, 'aws_xray_sdk' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": "src", "POWERTOOLS_TRACE_DISABLED": trace_disabled},
        capture_output=True,
        text=True,
        check=True,
    )
    plain, xray = result.stdout.splitlines()[-1].split()  # after the log's first line
    return plain == "True", xray == "True"


def test_tracing_off_loads_no_tracer():
    assert import_handler("true") == (True, False)


def test_tracing_on_wraps_the_handler():
    plain, _ = import_handler("false")
    assert plain is False


def test_traced_handler_still_delivers(invoke, emulator: Emulator, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    from activity_poster import handler

    traced = handler._traced(handler._handle)
    answer = traced(sqs_event(activity()), LocalLambdaContext().as_lambda_context())

    assert traced is not handler._handle
    assert answer == {"batchItemFailures": []}
    assert len(emulator.created) == 1
