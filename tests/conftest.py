"""Shared fixtures: moto server and the LeadSquared emulator on loopback, one per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from localrun.stack import AWS_TEST_ENV, LocalStack, local_stack

# boto3 reads these when a client is created: never let a test reach a real account.
os.environ.update(AWS_TEST_ENV)
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    with local_stack() as running:
        yield running
