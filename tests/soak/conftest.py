"""Soak fixtures: the shared stand-ins, the emulator back to its defaults, the function's
container state rebuilt with each test's environment."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest

from activity_poster.adapters import api
from activity_poster.container import get_container
from leadsquared_emulator import Emulator, EmulatorConfig
from localrun.stack import LocalStack


@pytest.fixture
def emulator(stack: LocalStack) -> Iterator[Emulator]:
    """The shared emulator with its default behaviour, empty, faults off before and after."""
    defaults = EmulatorConfig()
    stack.emulator.configure(
        **{f.name: getattr(defaults, f.name) for f in dataclasses.fields(EmulatorConfig)}
    )
    stack.emulator.reset()
    yield stack.emulator
    stack.emulator.clear_faults()
    stack.emulator.configure(
        **{f.name: getattr(defaults, f.name) for f in dataclasses.fields(EmulatorConfig)}
    )
    stack.emulator.reset()


@pytest.fixture
def configure_function(
    stack: LocalStack, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[dict[str, str]], dict[str, str]]]:
    """Sets the function's environment (the template's, plus `overrides`) and makes the next
    invocation build a fresh container state from it, as a new Lambda container would."""

    def apply(overrides: dict[str, str]) -> dict[str, str]:
        env = {**stack.function_env(), **overrides}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        for name in ("IDEMPOTENCY_TABLE_NAME", "DEAD_LETTER_QUEUE_URL"):
            if name not in env:
                monkeypatch.delenv(name, raising=False)
        get_container.cache_clear()
        api.api_adapter.cache_clear()
        return env

    get_container.cache_clear()
    api.api_adapter.cache_clear()
    yield apply
    get_container.cache_clear()
    api.api_adapter.cache_clear()
