"""Every outcome of one call, produced by the emulator over real HTTP."""

from __future__ import annotations

import socket

import pytest

from activity_poster.credentials import ApiKeys
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.leadsquared.outcomes import (
    Delivered,
    OutcomeKind,
    Rejected,
    Throttled,
    Unavailable,
)
from activity_poster.settings import CREATE_ACTIVITY_PATH
from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator, Fault
from tests.integration.events import LEAD_ID, UNKNOWN_LEAD_ID

KEYS = ApiKeys(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
BODY = {"RelatedProspectId": LEAD_ID, "ActivityEvent": 212}


def client_for(emulator: Emulator, read_timeout: float = 5.0) -> LeadSquaredClient:
    return LeadSquaredClient(
        emulator.url + CREATE_ACTIVITY_PATH, connect_timeout=1.0, read_timeout=read_timeout
    )


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
        (Fault.HTTP_500, OutcomeKind.UNAVAILABLE),
        (Fault.HTTP_502, OutcomeKind.UNAVAILABLE),
        (Fault.HTTP_503, OutcomeKind.UNAVAILABLE),
        (Fault.NON_JSON_500, OutcomeKind.UNAVAILABLE),
        (Fault.DROP_CONNECTION, OutcomeKind.UNAVAILABLE),
        (Fault.STATUS_ERROR_200, OutcomeKind.REJECTED),
        (Fault.THROTTLE, OutcomeKind.THROTTLED),
    ],
)
def test_each_fault_maps_to_its_outcome(emulator: Emulator, fault: Fault, kind: OutcomeKind):
    emulator.inject(fault, times=1)

    assert client_for(emulator).create_activity(BODY, KEYS).kind is kind


def test_wrong_keys_are_unauthorized(emulator: Emulator):
    outcome = client_for(emulator).create_activity(BODY, ApiKeys("u$rwrong", "wrong"))

    assert outcome.kind is OutcomeKind.UNAUTHORIZED


@pytest.mark.parametrize("fault", [Fault.READ_TIMEOUT, Fault.TIMEOUT_AFTER_COMMIT])
def test_read_timeout_is_unavailable_and_may_have_committed(emulator: Emulator, fault: Fault):
    emulator.configure(read_timeout_seconds=1.0)
    emulator.inject(fault, times=1)

    outcome = client_for(emulator, read_timeout=0.3).create_activity(BODY, KEYS)

    assert isinstance(outcome, Unavailable)
    assert outcome.timed_out and outcome.may_have_committed


def test_refused_connection_never_reached_leadsquared():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = LeadSquaredClient(
        f"http://127.0.0.1:{port}{CREATE_ACTIVITY_PATH}", connect_timeout=1.0, read_timeout=1.0
    )

    outcome = client.create_activity(BODY, KEYS)

    assert isinstance(outcome, Unavailable)
    assert outcome.may_have_committed is False


def test_connections_are_reused(emulator: Emulator):
    client = client_for(emulator)
    for _ in range(5):
        client.create_activity(BODY, KEYS)

    assert len({r.client_port for r in emulator.received}) == 1


def test_the_bulk_url_must_be_on_the_create_urls_host() -> None:
    with pytest.raises(ValueError, match="same host"):
        LeadSquaredClient(
            "https://api-in21.leadsquared.com" + CREATE_ACTIVITY_PATH,
            bulk_url="https://api-us11.leadsquared.com/v2/ProspectActivity.svc/Bulk",
            connect_timeout=1.0,
            read_timeout=1.0,
        )


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
