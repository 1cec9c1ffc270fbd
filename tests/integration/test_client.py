"""Every outcome of one call, produced by the emulator over real HTTP."""

from __future__ import annotations

import socket
import time
import tracemalloc
from collections.abc import Callable

import pytest

from activity_poster.credentials import ApiKeys
from activity_poster.leadsquared.client import CREATE_PATH, MAX_ANSWER_BYTES, LeadSquaredClient
from activity_poster.outcomes import (
    ConnectionLost,
    Delivered,
    Rejected,
    Throttled,
    TimedOut,
    Unauthorized,
    Unavailable,
    Unreachable,
)
from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator, Fault
from leadsquared_emulator.replies import gzip_bomb
from tests.integration.events import LEAD_ID, UNKNOWN_LEAD_ID

KEYS = ApiKeys(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
BODY = {"RelatedProspectId": LEAD_ID, "ActivityEvent": 212}
MB = 1024 * 1024


def client_for(emulator: Emulator, read_timeout: float = 5.0) -> LeadSquaredClient:
    return LeadSquaredClient(emulator.url, connect_timeout=1.0, read_timeout=read_timeout)


def test_success_is_delivered_with_the_id(emulator: Emulator):
    outcome = client_for(emulator).create_activity(BODY, KEYS)

    assert isinstance(outcome, Delivered)
    assert outcome.activity_id == emulator.created[0].activity_id


@pytest.mark.parametrize("app_error_status", [500, 200])
def test_application_errors_are_rejected_whatever_the_status(emulator: Emulator, app_error_status):
    emulator.configure(app_error_status=app_error_status)

    outcome = client_for(emulator).create_activity(
        {**BODY, "RelatedProspectId": UNKNOWN_LEAD_ID}, KEYS
    )

    assert isinstance(outcome, Rejected)
    assert outcome.error_type == "MXInvalidEntityException"
    assert outcome.http_status == app_error_status


@pytest.mark.parametrize("throttle_status", [429, 403, 200])
def test_throttling_is_recognised_under_any_status(emulator: Emulator, throttle_status: int):
    emulator.configure(throttle_status=throttle_status)
    emulator.inject(Fault.THROTTLE, times=1)

    outcome = client_for(emulator).create_activity(BODY, KEYS)

    assert isinstance(outcome, Throttled)
    assert outcome.http_status == throttle_status


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault.HTTP_500, Unavailable),
        (Fault.HTTP_502, Unavailable),
        (Fault.HTTP_503, Unavailable),
        (Fault.NON_JSON_500, Unavailable),
        (Fault.DROP_CONNECTION, ConnectionLost),
        (Fault.STATUS_ERROR_200, Rejected),
        (Fault.THROTTLE, Throttled),
    ],
)
def test_each_fault_maps_to_its_outcome(emulator: Emulator, fault: Fault, kind: type):
    emulator.inject(fault, times=1)

    assert type(client_for(emulator).create_activity(BODY, KEYS)) is kind


def test_wrong_keys_are_unauthorized(emulator: Emulator):
    outcome = client_for(emulator).create_activity(BODY, ApiKeys("u$rwrong", "wrong"))

    assert isinstance(outcome, Unauthorized)


@pytest.mark.parametrize("fault", [Fault.READ_TIMEOUT, Fault.TIMEOUT_AFTER_COMMIT])
def test_read_timeout_is_timed_out_the_activity_may_exist(emulator: Emulator, fault: Fault):
    emulator.configure(read_timeout_seconds=1.0)
    emulator.inject(fault, times=1)

    outcome = client_for(emulator, read_timeout=0.3).create_activity(BODY, KEYS)

    assert isinstance(outcome, TimedOut)


def test_refused_connection_never_reached_leadsquared():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = LeadSquaredClient(f"http://127.0.0.1:{port}", connect_timeout=1.0, read_timeout=1.0)

    outcome = client.create_activity(BODY, KEYS)

    assert isinstance(outcome, Unreachable)


def test_connections_are_reused(emulator: Emulator):
    client = client_for(emulator)
    for _ in range(5):
        client.create_activity(BODY, KEYS)

    assert len({r.client_port for r in emulator.received}) == 1


@pytest.mark.parametrize(
    "fault", [Fault.DROP_CONNECTION, Fault.HTTP_503, Fault.TIMEOUT_AFTER_COMMIT]
)
def test_a_failed_post_is_never_repeated_by_urllib3(emulator: Emulator, fault: Fault):
    """Whether to try again is the delivery layer's decision: a repeated POST can create a
    second activity."""
    emulator.configure(read_timeout_seconds=1.0)
    emulator.inject(fault, times=1)

    client_for(emulator, read_timeout=0.3).create_activity(BODY, KEYS)

    assert len(emulator.received) == 1


def timed[T](call: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def with_peak_memory[T](call: Callable[[], T]) -> tuple[T, int]:
    """The result, and the most Python memory held at once while it ran."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_trickled_answer_is_cut_off_at_the_end_of_the_call(emulator: Emulator):
    """One byte every 0.2 s never trips the 0.3 s read timeout: only the bound on the whole
    call (connect + read) ends it, long before the answer would."""
    emulator.inject(Fault.TRICKLE, times=1)
    client = client_for(emulator, read_timeout=0.3)

    outcome, elapsed = timed(lambda: client.create_activity(BODY, KEYS))

    assert isinstance(outcome, TimedOut)
    assert elapsed < 1.0 + 0.3 + 0.3
    whole_answer = len(emulator.created[0].activity_id) * 0.2  # the id alone: 7 s
    assert elapsed < whole_answer / 4
    assert len(emulator.created) == 1  # committed: a TimedOut activity may exist


def test_a_trickle_just_inside_the_read_timeout_is_cut_off_on_time(emulator: Emulator):
    """Each wait for the next bytes ends with the call, not one read timeout after it."""
    emulator.configure(trickle_interval_seconds=0.9)
    emulator.inject(Fault.TRICKLE, times=1)
    client = LeadSquaredClient(emulator.url, connect_timeout=0.2, read_timeout=1.0)

    outcome, elapsed = timed(lambda: client.create_activity(BODY, KEYS))

    assert isinstance(outcome, TimedOut)
    assert elapsed < 0.2 + 1.0 + 0.15


def test_a_huge_answer_is_read_no_further_than_the_limit(emulator: Emulator):
    emulator.inject(Fault.HUGE_ANSWER, times=1)
    client = client_for(emulator)

    (outcome, elapsed), peak = with_peak_memory(
        lambda: timed(lambda: client.create_activity(BODY, KEYS))
    )

    assert emulator.config.huge_answer_bytes == 50 * MB
    assert not isinstance(outcome, Delivered)  # read whole, it would be a success answer
    assert isinstance(outcome, Unavailable) and outcome.http_status == 200
    assert peak < 20 * MB, peak
    assert peak < 4 * MAX_ANSWER_BYTES, peak
    assert elapsed < 2.0
    emulator.inject(Fault.HUGE_ANSWER, times=1)
    answer = client.request("POST", CREATE_PATH, KEYS, BODY)
    assert isinstance(answer, tuple) and len(answer[1]) <= MAX_ANSWER_BYTES
    assert isinstance(client.create_activity(BODY, KEYS), Delivered)  # on a new connection


def test_a_gzip_bomb_is_never_inflated(emulator: Emulator):
    emulator.inject(Fault.GZIP_BOMB, times=1)
    client = client_for(emulator)

    (outcome, elapsed), peak = with_peak_memory(
        lambda: timed(lambda: client.create_activity(BODY, KEYS))
    )

    assert not isinstance(outcome, Delivered)  # inflated, it would be a success answer
    assert isinstance(outcome, Unavailable) and outcome.http_status == 200
    assert peak < 20 * MB, peak
    assert elapsed < 5.0  # the emulator makes the bomb on first use
    assert emulator.received[0].header("Accept-Encoding") == "identity"
    emulator.inject(Fault.GZIP_BOMB, times=1)
    answer = client.request("POST", CREATE_PATH, KEYS, BODY)
    assert answer == (200, gzip_bomb())  # read whole, as sent: never inflated
