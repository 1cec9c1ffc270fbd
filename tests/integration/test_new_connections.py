"""A call's rate-limit slot counts from when its request leaves, not from before its handshake.

Behind a TLS handshake slower than the rate margin, the first calls of a cold container reach
LeadSquared later than their slots say; the calls that take those slots again a window later
go over connections already open and arrive at once. Unless the first slots are dated when
their requests leave, both groups land in one window and LeadSquared throttles.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadsquared_emulator import Emulator
from leadsquared_emulator import RateLimit as EmulatorRateLimit
from localrun.stack import LocalStack
from tests.integration.events import activity, sqs_event
from tests.integration.slow_tls import Front, slow_tls_front
from tests.integration.test_budget import failed_ids, most_in_any_window

# A margin wide enough for a busy test machine's scheduling, and a handshake well over it.
MARGIN_SECONDS = 0.25
HANDSHAKE_SECONDS = 0.5


@pytest.fixture
def front(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Front]:
    with slow_tls_front(("127.0.0.1", emulator.port), tmp_path, HANDSHAKE_SECONDS) as front:
        monkeypatch.setenv("SSL_CERT_FILE", str(front.cert))
        yield front


@pytest.mark.parametrize("pacer", ["container", "account"])
def test_slow_handshakes_never_crowd_a_window(
    invoke, emulator: Emulator, stack: LocalStack, set_env, front: Front, pacer: str
):
    emulator.configure(rate_limit=EmulatorRateLimit(5, 1.0), latency_seconds=0.05)
    budget = stack.create_budget_table(f"budget-{uuid.uuid4().hex[:8]}")
    set_env(
        LEADSQUARED_API_URL=front.url,
        LEADSQUARED_RATE_LIMIT="5/1s",
        LEADSQUARED_RATE_MARGIN_SECONDS=str(MARGIN_SECONDS),
        LEADSQUARED_BUDGET_TABLE=budget if pacer == "account" else None,
        DELIVERY_WORKERS="10",
    )

    answer = invoke(sqs_event(*[activity(ActivityNote=f"n{i}") for i in range(15)]))

    assert failed_ids(answer) == []
    assert front.connections  # calls did wait for handshakes
    assert [r.status for r in emulator.received].count(429) == 0
    assert most_in_any_window([r.time for r in emulator.received], 1.0) <= 5
