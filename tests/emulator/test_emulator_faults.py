"""Injected and probabilistic faults, latency, and that hangs never wedge the emulator."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import urllib3
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from leadsquared_emulator import PRIMARY_LEAD_ID, Emulator, EmulatorConfig, Fault, RateLimit

ACTIVITY = {"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 212}
SHORT_READ = urllib3.Timeout(connect=1.0, read=0.2)


@pytest.mark.parametrize(
    ("fault", "status", "content_type", "check_body"),
    [
        (Fault.HTTP_500, 500, "application/json", lambda b: b"ExceptionType" not in b),
        (Fault.HTTP_502, 502, "text/html", lambda b: b"502 Bad Gateway" in b),
        (Fault.HTTP_503, 503, "text/html", lambda b: b"503" in b),
        (
            Fault.NON_JSON_500,
            500,
            "text/html",
            lambda b: b == b"<html><body>Internal Server Error</body></html>",
        ),
        (
            Fault.STATUS_ERROR_200,
            200,
            "application/json",
            lambda b: (
                b == b'{"Status":"Error","ExceptionType":"MXInvalidInputException",'
                b'"ExceptionMessage":"Invalid Input! Parameter Name: activity"}'
            ),
        ),
        (
            Fault.THROTTLE,
            429,
            "application/json",
            lambda b: b"MXAPIRateLimitExceededException" in b,
        ),
        (Fault.HTML_404, 404, "text/html", lambda b: b.startswith(b"<html>")),
        (Fault.METHOD_NOT_ALLOWED_405, 405, "text/html", lambda b: b.startswith(b"<html>")),
        (Fault.REDIRECT_302, 302, "text/html", lambda b: b"http://127.0.0.1:9/" in b),
    ],
)
def test_answering_faults(client, fault, status, content_type, check_body):
    client.emu.inject(fault)
    response = client.create(ACTIVITY)
    assert response.status == status
    assert response.headers["Content-Type"].startswith(content_type)
    assert check_body(response.data), response.data
    assert "Retry-After" not in response.headers
    assert client.emu.created == []
    (received,) = client.emu.received
    assert (received.fault, received.status) == (fault, status)
    assert client.create(ACTIVITY).status == 200  # one-shot


def test_throttle_fault_uses_the_bucket_limit_and_status(make_client):
    client = make_client(bulk_rate_limit=RateLimit(7, 2.5), throttle_status=403)
    client.emu.inject(Fault.THROTTLE)
    response = client.bulk([ACTIVITY])
    assert response.status == 403
    assert response.json()["ExceptionMessage"] == (
        "API calls exceeded the limit of 7 in 2.5 second(s)"
    )
    client.emu.inject(Fault.THROTTLE)  # unlimited bucket: the documented example figures
    assert "limit of 25 in 5 second(s)" in client.create(ACTIVITY).json()["ExceptionMessage"]


def test_faults_apply_before_auth(client):
    client.emu.inject(Fault.HTTP_503)
    assert client.create(ACTIVITY, auth=None).status == 503


def test_read_timeout_commits_nothing(make_client):
    client = make_client(read_timeout_seconds=1.0)
    client.emu.inject(Fault.READ_TIMEOUT)
    with pytest.raises(ReadTimeoutError):
        client.create(ACTIVITY, timeout=SHORT_READ)
    assert client.emu.created == []
    assert client.emu.received[0].fault is Fault.READ_TIMEOUT
    assert client.emu.received[0].status is None
    assert client.create(ACTIVITY).status == 200  # other connections are unaffected


def test_read_timeout_closes_after_hanging(make_client):
    client = make_client(read_timeout_seconds=0.2)
    client.emu.inject(Fault.READ_TIMEOUT)
    started = time.monotonic()
    with pytest.raises(ProtocolError):
        client.create(ACTIVITY)
    assert time.monotonic() - started >= 0.2
    assert client.emu.created == []


def test_timeout_after_commit_writes_the_activity(make_client):
    client = make_client(read_timeout_seconds=1.0)
    client.emu.inject(Fault.TIMEOUT_AFTER_COMMIT)
    with pytest.raises(ReadTimeoutError):
        client.create(ACTIVITY, timeout=SHORT_READ)
    (created,) = client.emu.created
    assert created.body == ACTIVITY
    assert client.emu.received[0].status is None


def test_timeout_after_commit_still_validates(make_client):
    client = make_client(read_timeout_seconds=0.1)
    client.emu.inject(Fault.TIMEOUT_AFTER_COMMIT)
    with pytest.raises(ProtocolError):
        client.create({"ActivityEvent": 212})
    assert client.emu.created == []


def test_drop_after_commit_writes_the_activity(client):
    client.emu.inject(Fault.DROP_AFTER_COMMIT)
    started = time.monotonic()
    with pytest.raises(ProtocolError):
        client.create(ACTIVITY)
    assert time.monotonic() - started < 1.0  # closed at once, not after a hang
    (created,) = client.emu.created
    assert created.body == ACTIVITY
    (received,) = client.emu.received
    assert (received.fault, received.status) == (Fault.DROP_AFTER_COMMIT, None)
    assert client.create(ACTIVITY).status == 200  # one-shot
    assert len(client.emu.created) == 2


def test_drop_after_commit_commits_every_bulk_row(client):
    rows = [dict(ACTIVITY, ActivityNote=f"n{n}") for n in range(5)]
    client.emu.inject(Fault.DROP_AFTER_COMMIT)
    with pytest.raises(ProtocolError):
        client.bulk(rows)
    assert [a.body for a in client.emu.created] == rows
    assert all(a.bulk for a in client.emu.created)
    assert client.emu.received[0].status is None


def test_drop_after_commit_still_validates(client):
    client.emu.inject(Fault.DROP_AFTER_COMMIT)
    with pytest.raises(ProtocolError):
        client.create({"ActivityEvent": 212})
    assert client.emu.created == []


def test_drop_after_commit_does_not_answer():
    assert not Fault.DROP_AFTER_COMMIT.answers
    assert not Fault.DROP_AFTER_COMMIT.hangs


def test_405_fault_names_the_other_verb(client):
    client.emu.inject(Fault.METHOD_NOT_ALLOWED_405, times=2)
    assert client.create(ACTIVITY).headers["Allow"] == "GET"
    response = client.request(
        "GET", "/v2/LeadManagement.svc/Leads.GetById", content_type=None, query={"id": "x"}
    )
    assert (response.status, response.headers["Allow"]) == (405, "POST")


def test_redirect_fault_location_is_configurable(make_client):
    client = make_client()
    client.emu.inject(Fault.REDIRECT_302)
    response = client.create(ACTIVITY)
    assert response.headers["Location"] == "http://127.0.0.1:9/"
    client.emu.configure(redirect_location="https://127.0.0.1:8443/v2/")
    client.emu.inject(Fault.REDIRECT_302)
    response = client.create(ACTIVITY)
    assert (response.status, response.headers["Location"]) == (302, "https://127.0.0.1:8443/v2/")
    assert client.emu.created == []
    with pytest.raises(ValueError, match="redirect_location"):
        client.emu.configure(redirect_location="")


def test_misconfiguration_faults_apply_before_auth_and_routing(client):
    for fault in (Fault.HTML_404, Fault.METHOD_NOT_ALLOWED_405, Fault.REDIRECT_302):
        client.emu.inject(fault)
    statuses = [client.request("POST", "/v2/Nowhere", ACTIVITY, auth=None).status for _ in range(3)]
    assert statuses == [404, 405, 302]


def test_drop_connection(client):
    client.emu.inject(Fault.DROP_CONNECTION)
    with pytest.raises(ProtocolError):
        client.create(ACTIVITY)
    assert client.emu.created == []
    assert client.emu.received[0].status is None
    assert client.create(ACTIVITY).status == 200


def test_injected_faults_are_fifo(client):
    client.emu.inject(Fault.HTTP_503, times=2)
    client.emu.inject(Fault.HTTP_502)
    assert client.emu.pending_faults == [Fault.HTTP_503, Fault.HTTP_503, Fault.HTTP_502]
    statuses = [client.create(ACTIVITY).status for _ in range(4)]
    assert statuses == [503, 503, 502, 200]


def test_injected_faults_take_precedence_over_rates(client):
    client.emu.set_fault_rates({Fault.HTTP_500: 1.0})
    client.emu.inject(Fault.HTTP_503)
    assert [client.create(ACTIVITY).status for _ in range(3)] == [503, 500, 500]
    client.emu.set_fault_rates({})
    assert client.create(ACTIVITY).status == 200


def test_fault_rates_are_reproducible_with_a_seed(make_client):
    def statuses(seed):
        client = make_client()
        client.emu.set_fault_rates({Fault.HTTP_500: 0.3, Fault.HTTP_503: 0.2}, seed=seed)
        return [client.create(ACTIVITY).status for _ in range(40)]

    first = statuses(7)
    assert first == statuses(7)
    assert {500, 503, 200} <= set(first)
    assert 5 <= first.count(200) <= 35


def test_fault_rates_validation(client):
    with pytest.raises(ValueError):
        client.emu.set_fault_rates({Fault.HTTP_500: 0.6, Fault.HTTP_503: 0.6})
    with pytest.raises(ValueError):
        client.emu.set_fault_rates({Fault.HTTP_500: -0.1})
    with pytest.raises(ValueError):
        client.emu.inject(Fault.HTTP_500, times=-1)


def test_reset_clears_faults(client):
    client.emu.inject(Fault.HTTP_503, times=3)
    client.emu.set_fault_rates({Fault.HTTP_500: 1.0})
    client.emu.reset()
    assert client.create(ACTIVITY).status == 200


@pytest.mark.parametrize("text", ["HTTP_500", "http_500", "Http_500"])
def test_fault_parse(text):
    assert Fault.parse(text) is Fault.HTTP_500


def test_fault_parse_rejects_unknown():
    with pytest.raises(ValueError, match="DROP_CONNECTION"):
        Fault.parse("explode")


def test_hung_request_does_not_block_others(make_client):
    client = make_client(read_timeout_seconds=5.0)
    client.emu.inject(Fault.READ_TIMEOUT)
    outcome: list[BaseException] = []

    def hang():
        try:
            client.create(ACTIVITY)
        except urllib3.exceptions.HTTPError as error:
            outcome.append(error)

    hung = threading.Thread(target=hang, daemon=True)
    hung.start()
    client.emu.wait_for_requests(1)
    started = time.monotonic()
    assert client.create(ACTIVITY).status == 200
    assert time.monotonic() - started < 1.0


def test_stop_returns_promptly_while_handlers_hang(http):
    emu = Emulator(EmulatorConfig(read_timeout_seconds=30.0)).start()
    url = emu.url + "/v2/ProspectActivity.svc/Create"
    errors: list[BaseException] = []

    def call():
        try:
            http.request("POST", url, body=b"{}", timeout=urllib3.Timeout(connect=1, read=10))
        except Exception as error:
            errors.append(error)

    emu.inject(Fault.READ_TIMEOUT)
    emu.inject(Fault.TIMEOUT_AFTER_COMMIT)
    threads = [threading.Thread(target=call, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    emu.wait_for_requests(2)
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 1.0
    for thread in threads:
        thread.join(timeout=2.0)
    assert len(errors) == 2  # the clients saw their connections close
    emu.stop()  # idempotent


def test_latency_is_added_and_requests_overlap(make_client):
    client = make_client(latency_seconds=0.3)
    started = time.monotonic()
    assert client.create(ACTIVITY).status == 200
    assert time.monotonic() - started >= 0.3

    pool = urllib3.PoolManager(maxsize=8, retries=False)
    headers = {
        "x-LSQ-AccessKey": client.emu.config.access_key,
        "x-LSQ-SecretKey": client.emu.config.secret_key,
        "Content-Type": "application/json",
    }
    url = client.emu.url + "/v2/ProspectActivity.svc/Create"
    body = b'{"RelatedProspectId": "%s", "ActivityEvent": 1}' % PRIMARY_LEAD_ID.encode()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=6) as executor:
        statuses = list(
            executor.map(
                lambda _: pool.request("POST", url, body=body, headers=headers).status, range(6)
            )
        )
    elapsed = time.monotonic() - started
    assert statuses == [200] * 6
    assert 0.3 <= elapsed < 1.0  # 6 x 0.3 s would be 1.8 s if serialised


def test_latency_can_change_at_run_time(client):
    client.emu.configure(latency_seconds=0.2)
    started = time.monotonic()
    client.create(ACTIVITY)
    assert time.monotonic() - started >= 0.2
