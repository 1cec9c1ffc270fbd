"""Each path imports only what it needs: a cold start pays for nothing it does not use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from localrun.stack import LocalStack
from tests.integration.events import activity, api_v1_event, sqs_event

NEVER_ON_SQS = (
    "aws_lambda_powertools.event_handler",  # the API resolver
    "aws_xray_sdk",  # the tracer, off by default
    "aws_lambda_powertools.utilities.idempotency",  # off without a table
    # The model is plain pydantic; the partial batch answer is built without Powertools'
    # batch utility, which would load asyncio and every Powertools event class.
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.data_classes",
    "asyncio",
    "aws_lambda_powertools.utilities.parser",
)
NEVER_ON_API = (
    "aws_lambda_powertools.utilities.batch",
    "aws_xray_sdk",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parser",
)


def modules_after_one_event(stack: LocalStack, event: dict) -> tuple[dict, set[str]]:
    code = """
import json, sys
from activity_poster.handler import lambda_handler
from localrun.context import LocalLambdaContext
answer = lambda_handler(json.loads(sys.argv[1]), LocalLambdaContext().as_lambda_context())
print(json.dumps({"answer": answer, "modules": sorted(sys.modules)}))
"""
    env = stack.function_env() | {"PYTHONPATH": "src:emulator:.", "POWERTOOLS_LOG_LEVEL": "ERROR"}
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(event)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    document = json.loads(result.stdout.splitlines()[-1])
    return document["answer"], set(document["modules"])


@pytest.mark.parametrize(
    ("event", "never"),
    [(sqs_event(activity()), NEVER_ON_SQS), (api_v1_event(activity()), NEVER_ON_API)],
    ids=["sqs", "api"],
)
def test_a_path_imports_only_what_it_needs(stack: LocalStack, emulator, event: dict, never: tuple):
    answer, modules = modules_after_one_event(stack, event)

    assert answer.get("batchItemFailures") == [] or answer.get("statusCode") == 201
    loaded = sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in never))
    assert loaded == []
