"""Handler tests run the real function code against the emulator and moto over HTTP."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from activity_poster.adapters import api
from activity_poster.container import get_container
from leadsquared_emulator import Emulator, EmulatorConfig
from localrun.context import LocalLambdaContext
from localrun.stack import LocalStack
from tests.logs import copy_of_logs


@pytest.fixture
def emulator(stack: LocalStack) -> Iterator[Emulator]:
    """The session's emulator, back to its default behaviour and empty for each test."""
    stack.emulator.configure(
        **{f.name: getattr(EmulatorConfig(), f.name) for f in dataclasses.fields(EmulatorConfig)}
    )
    stack.emulator.reset()
    yield stack.emulator
    stack.emulator.reset()


@pytest.fixture
def function_env(
    stack: LocalStack, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The function's environment as the template sets it; the container state starts fresh."""
    env = stack.function_env()
    # LeadSquared's 5-second window, shortened so that waiting out a throttle takes 0.2 s.
    env["LEADSQUARED_RATE_LIMIT"] = "1000/0.2s"
    # One delivery at a time, so that injected faults meet messages in a known order;
    # test_concurrency.py turns the pool on.
    env["DELIVERY_WORKERS"] = "1"
    # The account's schema is read before the first call: tests that count calls or inject
    # faults in order would meet it first. test_tenant.py turns it on.
    env["LEADSQUARED_SCHEMA_CHECK"] = "off"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_container.cache_clear()
    api.api_adapter.cache_clear()
    yield env
    get_container.cache_clear()
    api.api_adapter.cache_clear()


@pytest.fixture
def set_env(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Change the function's environment; the next invocation builds a fresh container state,
    as a new deployment would."""

    def apply(**values: str | None) -> None:
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        get_container.cache_clear()
        api.api_adapter.cache_clear()

    return apply


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every line the function logs during the test, as it would reach CloudWatch."""
    with copy_of_logs(io.StringIO()) as buffer:
        yield buffer


@pytest.fixture
def invoke(function_env: dict[str, str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from activity_poster.handler import lambda_handler

    def call(event: dict[str, Any], timeout_seconds: float = 30.0) -> dict[str, Any]:
        return lambda_handler(event, LocalLambdaContext(timeout_seconds=timeout_seconds))

    return call
