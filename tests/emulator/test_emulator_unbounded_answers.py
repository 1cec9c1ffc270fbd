"""TRICKLE, HUGE_ANSWER and GZIP_BOMB: answers that come too slowly, or are too large to hold."""

import itertools
import json
import socket
import time
import tracemalloc
import zlib

import pytest
import urllib3

from leadsquared_emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    PRIMARY_LEAD_ID,
    Emulator,
    EmulatorConfig,
    Fault,
)
from leadsquared_emulator.replies import GZIP_BOMB_MIB, gzip_bomb
from tests.emulator.conftest import CREATE_PATH

ACTIVITY = {"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 212}
SUCCESS_HEAD = b'{"Status":"Success","Message":{"Id":"'
MIB = 1024 * 1024


def _raw_create(emu: Emulator, payload: object = ACTIVITY) -> tuple[socket.socket, bytes, bytes]:
    """POST over a bare socket: the socket, the answer's head and any body bytes read with it."""
    body = json.dumps(payload).encode()
    request = (
        f"POST {CREATE_PATH} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{emu.port}\r\n"
        "Content-Type: application/json\r\n"
        f"x-LSQ-AccessKey: {DEFAULT_ACCESS_KEY}\r\n"
        f"x-LSQ-SecretKey: {DEFAULT_SECRET_KEY}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=5.0)
    sock.sendall(request)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(4096)
        assert chunk, "closed before the headers"
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    return sock, head, rest


def _header(head: bytes, name: str) -> str | None:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def _wait_for_status(emu: Emulator, status: int | None, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while emu.received[0].status != status:
        assert time.monotonic() < deadline, emu.received[0].status
        time.sleep(0.01)


# -- TRICKLE ---------------------------------------------------------------------------------


def test_trickle_sends_the_headers_at_once_then_one_byte_per_interval(make_emulator):
    emu = make_emulator(trickle_interval_seconds=0.1)
    emu.inject(Fault.TRICKLE)
    started = time.monotonic()
    sock, head, rest = _raw_create(emu)
    with sock:
        headers_after = time.monotonic() - started
        assert head.startswith(b"HTTP/1.1 200 ")
        assert rest == b""  # no byte of the body came with the headers
        assert headers_after < 0.09
        (created,) = emu.created  # committed before the first byte
        expected = json.dumps(
            {"Status": "Success", "Message": {"Id": created.activity_id}}, separators=(",", ":")
        ).encode()
        assert _header(head, "Content-Length") == str(len(expected))

        arrivals: list[tuple[float, bytes]] = []
        while len(arrivals) < 4:
            piece = sock.recv(4096)
            arrivals.append((time.monotonic(), piece))
    assert [piece for _, piece in arrivals] == [bytes([b]) for b in expected[:4]]
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(arrivals)]
    assert all(0.07 <= gap <= 0.3 for gap in gaps), gaps
    assert arrivals[0][0] - started >= 0.09  # the first byte, too, waited an interval


def test_trickle_sends_the_real_answer_whole_in_the_end(make_client):
    client = make_client(trickle_interval_seconds=0.002)
    client.emu.inject(Fault.TRICKLE)
    started = time.monotonic()
    response = client.create(ACTIVITY)
    elapsed = time.monotonic() - started
    (created,) = client.emu.created
    assert (response.status, response.json()) == (
        200,
        {"Status": "Success", "Message": {"Id": created.activity_id}},
    )
    assert elapsed >= len(response.data) * 0.002
    (received,) = client.emu.received
    assert (received.fault, received.status) == (Fault.TRICKLE, 200)
    assert client.create(ACTIVITY).status == 200  # one-shot
    assert len(client.emu.created) == 2


def test_trickle_still_validates(make_client):
    client = make_client(trickle_interval_seconds=0.001)
    client.emu.inject(Fault.TRICKLE)
    response = client.create({"ActivityEvent": 212})
    assert response.status == 500
    assert response.json()["ExceptionType"].startswith("MX")
    assert client.emu.created == []


def test_trickle_cut_off_by_the_client_is_logged_unanswered(make_emulator):
    emu = make_emulator(trickle_interval_seconds=0.05)
    emu.inject(Fault.TRICKLE)
    sock, _, _ = _raw_create(emu)
    with sock:
        assert len(sock.recv(1)) == 1
    _wait_for_status(emu, None)  # the emulator noticed, and stopped writing
    assert len(emu.created) == 1  # the activity stays committed


def test_stop_cuts_a_trickle_short():
    emu = Emulator(EmulatorConfig(trickle_interval_seconds=10.0)).start()
    emu.inject(Fault.TRICKLE)
    sock, _, _ = _raw_create(emu)
    with sock:
        started = time.monotonic()
        emu.stop()
        assert time.monotonic() - started < 1.0
        assert sock.recv(4096) == b""  # closed, not one byte of the answer sent


# -- HUGE_ANSWER -----------------------------------------------------------------------------


def test_huge_answer_default_size():
    assert EmulatorConfig().huge_answer_bytes == 50 * MIB


def test_huge_answer_is_streamed_never_held_whole(client):
    """Read to the end, 50 MiB go through while Python memory never holds more than a few."""
    client.emu.inject(Fault.HUGE_ANSWER)
    tracemalloc.start()
    try:
        response = client.create(ACTIVITY, preload_content=False)
        assert response.status == 200
        assert response.headers["Content-Length"] == str(50 * MIB)
        first = response.read(len(SUCCESS_HEAD))
        total = len(first)
        while chunk := response.read1(256 * 1024):
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first == SUCCESS_HEAD
    assert total == 50 * MIB
    assert peak < 8 * MIB, peak
    assert client.emu.created == []
    (received,) = client.emu.received
    assert (received.fault, received.status) == (Fault.HUGE_ANSWER, 200)


def test_huge_answer_is_json_of_exactly_the_configured_size(make_client):
    client = make_client(huge_answer_bytes=200_000)
    client.emu.inject(Fault.HUGE_ANSWER)
    response = client.create(ACTIVITY)
    assert len(response.data) == 200_000
    document = json.loads(response.data)
    assert document["Status"] == "Success"  # only when read whole does it look like one
    assert client.emu.created == []


def test_huge_answer_smaller_than_the_bare_answer_is_its_prefix(make_client):
    client = make_client(huge_answer_bytes=10)
    client.emu.inject(Fault.HUGE_ANSWER)
    assert client.create(ACTIVITY).data == SUCCESS_HEAD[:10]


def test_huge_answer_cut_off_by_the_client_is_logged_unanswered(client):
    client.emu.inject(Fault.HUGE_ANSWER)
    response = client.create(ACTIVITY, preload_content=False)
    assert response.read(MIB)[: len(SUCCESS_HEAD)] == SUCCESS_HEAD
    response.close()  # closes the connection with 49 MiB unread
    _wait_for_status(client.emu, None)
    assert client.create(ACTIVITY).status == 200  # the emulator serves on


# -- GZIP_BOMB -------------------------------------------------------------------------------


def test_gzip_bomb_is_sent_compressed_whatever_the_client_accepts(client):
    client.emu.inject(Fault.GZIP_BOMB)
    response = client.create(
        ACTIVITY,
        headers={"Accept-Encoding": "identity"},
        preload_content=False,
        decode_content=False,
    )
    body = response.read()
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Length"] == str(len(body))
    assert 900_000 < len(body) < MIB  # about 1 MB
    assert body == gzip_bomb()
    assert client.emu.created == []
    (received,) = client.emu.received
    assert (received.fault, received.status) == (Fault.GZIP_BOMB, 200)


def test_gzip_bomb_inflates_to_about_a_gigabyte_of_json():
    """Inflated a piece at a time: a valid gzip stream (its CRC and size checked at the end)
    of the success answer and a billion spaces."""
    body = gzip_bomb()
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending = body
    first = last = b""
    total = 0
    while not inflater.eof:
        piece = inflater.decompress(pending, 64 * MIB)
        pending = inflater.unconsumed_tail
        assert piece or pending, "the stream ended early"
        first = first or piece[:200]
        last = (last + piece[-100:])[-100:]
        total += len(piece)
    answer = first.rstrip(b" ")
    assert json.loads(answer + b"}")["Status"] == "Success"
    assert total == len(answer) + GZIP_BOMB_MIB * MIB + 1 > 1_000_000_000
    assert last == b" " * 99 + b"}"
    assert total / len(body) > 1000


def test_gzip_bomb_is_made_once():
    assert gzip_bomb() is gzip_bomb()


# -- the switches ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"trickle_interval_seconds": -0.1},
        {"huge_answer_bytes": -1},
        {"huge_answer_bytes": 1.5},
        {"huge_answer_bytes": True},
    ],
)
def test_invalid_answer_switches_are_refused(changes):
    with pytest.raises(ValueError):
        EmulatorConfig(**changes)


@pytest.mark.parametrize(
    ("fault", "reaches_api"),
    [(Fault.TRICKLE, True), (Fault.HUGE_ANSWER, False), (Fault.GZIP_BOMB, False)],
)
def test_these_faults_answer(fault, reaches_api):
    assert fault.answers
    assert not fault.hangs
    assert fault.reaches_api is reaches_api


def test_faults_over_the_control_endpoint(client, http):
    url = client.emu.url + "/__emulator/faults"
    answer = http.request("POST", url, body=json.dumps({"inject": "gzip_bomb"}))
    assert answer.json()["pending"] == ["gzip_bomb"]
    response = client.create(ACTIVITY, preload_content=False, decode_content=False)
    assert response.headers["Content-Encoding"] == "gzip"
    response.release_conn()


def test_a_pooled_client_reading_the_whole_answer_keeps_its_connection(client):
    """A trickled answer read whole is a complete answer: the connection is reused."""
    client.emu.configure(trickle_interval_seconds=0.0)
    client.emu.inject(Fault.TRICKLE)
    assert client.create(ACTIVITY).status == 200
    assert client.create(ACTIVITY).status == 200
    first, second = client.emu.received
    assert first.client_port == second.client_port


def test_the_read_timeout_of_a_plain_client_never_fires_on_a_trickle(make_client):
    """Why a client needs a bound on the whole call: each byte beats the read timeout."""
    client = make_client(trickle_interval_seconds=0.02)
    client.emu.inject(Fault.TRICKLE)
    started = time.monotonic()
    response = client.create(ACTIVITY, timeout=urllib3.Timeout(connect=1.0, read=0.1))
    assert response.status == 200
    assert time.monotonic() - started > 1.0  # ten read timeouts, none of them fired
