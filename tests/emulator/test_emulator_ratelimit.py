"""Rolling-window throttling and the shape of a throttled answer."""

import time

import pytest

from leadsquared_emulator import PRIMARY_LEAD_ID, RateLimit
from leadsquared_emulator.ratelimit import SlidingWindow

ACTIVITY = {"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 212}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("25/5s", RateLimit(25, 5.0)),
        ("25/0.5s", RateLimit(25, 0.5)),
        ("10/5", RateLimit(10, 5.0)),
        (" 3 / 2 seconds ", RateLimit(3, 2.0)),
        ("none", None),
        ("OFF", None),
    ],
)
def test_parse(spec, expected):
    assert RateLimit.parse(spec) == expected


@pytest.mark.parametrize("spec", ["", "25", "25/", "/5s", "0/5s", "25/0s", "-1/5s", "25/5m"])
def test_parse_rejects_nonsense(spec):
    with pytest.raises(ValueError):
        RateLimit.parse(spec)


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (RateLimit(25, 5.0), "API calls exceeded the limit of 25 in 5 second(s)"),
        (RateLimit(3, 0.5), "API calls exceeded the limit of 3 in 0.5 second(s)"),
    ],
)
def test_exceeded_message(limit, message):
    assert limit.exceeded_message == message
    assert RateLimit.parse(str(limit)) == limit


def test_sliding_window_counts_only_admitted_calls():
    window, limit = SlidingWindow(), RateLimit(2, 1.0)
    assert window.admit(limit, 0.0)
    assert window.admit(limit, 0.5)
    assert not window.admit(limit, 0.9)
    assert window.admit(limit, 1.0)  # the call at 0.0 aged out
    assert not window.admit(limit, 1.4)
    assert window.admit(limit, 1.5)


def test_sliding_window_can_count_rejected_calls():
    window, limit = SlidingWindow(), RateLimit(1, 1.0)
    assert window.admit(limit, 0.0, count_rejected=True)
    assert not window.admit(limit, 0.9, count_rejected=True)
    assert not window.admit(limit, 1.5, count_rejected=True)  # the rejected call at 0.9 counts
    assert window.admit(limit, 2.5, count_rejected=True)


def test_throttles_after_limit_and_recovers(make_client):
    client = make_client(rate_limit=RateLimit(3, 0.5))
    assert [client.create(ACTIVITY).status for _ in range(3)] == [200, 200, 200]
    throttled = client.create(ACTIVITY)
    assert throttled.status == 429
    assert throttled.json() == {
        "Status": "Error",
        "ExceptionType": "MXAPIRateLimitExceededException",
        "ExceptionMessage": "API calls exceeded the limit of 3 in 0.5 second(s)",
    }
    header_names = {name.lower() for name in throttled.headers}
    assert "retry-after" not in header_names
    assert not any(name.startswith(("x-ratelimit", "ratelimit")) for name in header_names)

    assert [r.status for r in client.emu.received] == [200, 200, 200, 429]
    assert len(client.emu.created) == 3

    time.sleep(0.55)
    assert client.create(ACTIVITY).status == 200


def test_window_is_rolling_not_fixed(make_client):
    client = make_client(rate_limit=RateLimit(3, 0.6))
    start = time.monotonic()
    assert client.create(ACTIVITY).status == 200  # t=0
    time.sleep(0.3)
    assert client.create(ACTIVITY).status == 200  # t=0.3
    assert client.create(ACTIVITY).status == 200  # t=0.3
    time.sleep(max(0.0, start + 0.65 - time.monotonic()))
    # t=0.65: the first call aged out, the two at 0.3 still count -> one slot free.
    assert client.create(ACTIVITY).status == 200
    # A fixed window restarting at t=0.6 would still have room; a rolling one is full.
    assert client.create(ACTIVITY).status == 429
    assert time.monotonic() - start < 0.85, "test machine too slow for the timing margins"


def test_throttled_calls_do_not_count_by_default(make_client):
    client = make_client(rate_limit=RateLimit(1, 0.4))
    assert client.create(ACTIVITY).status == 200
    time.sleep(0.25)
    assert client.create(ACTIVITY).status == 429
    time.sleep(0.2)  # 0.45 s after the only admitted call
    assert client.create(ACTIVITY).status == 200


def test_count_throttled_keeps_a_hammering_client_out(make_client):
    client = make_client(rate_limit=RateLimit(1, 0.4), count_throttled=True)
    assert client.create(ACTIVITY).status == 200
    time.sleep(0.25)
    assert client.create(ACTIVITY).status == 429
    time.sleep(0.2)
    assert client.create(ACTIVITY).status == 429


@pytest.mark.parametrize("status", [403, 200])
def test_throttle_status_is_configurable(make_client, status):
    client = make_client(rate_limit=RateLimit(1, 5.0), throttle_status=status)
    client.create(ACTIVITY)
    response = client.create(ACTIVITY)
    assert response.status == status
    assert response.json()["ExceptionType"] == "MXAPIRateLimitExceededException"


def test_failed_calls_use_budget_too(make_client):
    client = make_client(rate_limit=RateLimit(2, 5.0))
    assert client.create({"ActivityEvent": 212}).status == 500
    assert client.create(raw=b"nope").status == 400
    assert client.create(ACTIVITY).status == 429


def test_limit_can_change_at_run_time(make_client):
    client = make_client()
    for _ in range(5):
        assert client.create(ACTIVITY).status == 200
    client.emu.configure(rate_limit=RateLimit(1, 5.0))
    # Calls made while unlimited were not metered; metering starts now.
    assert client.create(ACTIVITY).status == 200
    assert client.create(ACTIVITY).status == 429
    client.emu.configure(rate_limit=None)
    assert client.create(ACTIVITY).status == 200


def test_reset_clears_windows(make_client):
    client = make_client(rate_limit=RateLimit(1, 5.0))
    client.create(ACTIVITY)
    assert client.create(ACTIVITY).status == 429
    client.emu.reset()
    assert client.create(ACTIVITY).status == 200


def test_defaults_match_the_enterprise_limits():
    from leadsquared_emulator import EmulatorConfig

    config = EmulatorConfig()
    assert config.rate_limit == RateLimit(25, 5.0)
    assert config.bulk_rate_limit == RateLimit(5, 5.0)
    assert config.throttle_status == 429
