"""HTTP answers the emulator sends, shaped like LeadSquared's (and its gateway's)."""

import functools
import html
import json
import struct
import threading
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from .config import EmulatorConfig, RateLimit
from .errors import INVALID_INPUT, INVALID_USER, RATE_LIMIT_EXCEEDED, MXError
from .faults import Fault

JSON_TYPE: Final = "application/json; charset=utf-8"
HTML_TYPE: Final = "text/html; charset=utf-8"

# Used by the THROTTLE fault when the bucket itself is unlimited.
FALLBACK_LIMIT: Final = RateLimit(calls=25, window_seconds=5.0)


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class StreamedReply:
    """An answer written piece by piece and never held whole: `length` bytes (its
    Content-Length) made of `pieces`, with `interval` seconds before each piece."""

    status: int
    length: int
    pieces: Iterable[bytes]
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    interval: float = 0.0


def json_reply(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return Reply(status, body, JSON_TYPE, headers)


def html_reply(status: int, html: str) -> Reply:
    return Reply(status, html.encode(), HTML_TYPE)


def error_envelope(exception_type: str, message: str) -> dict[str, str]:
    return {"Status": "Error", "ExceptionType": exception_type, "ExceptionMessage": message}


def mx_error(error: MXError, config: EmulatorConfig) -> Reply:
    status = config.app_error_status if error.status is None else error.status
    return json_reply(status, error_envelope(error.exception_type, error.message))


def unauthorized() -> Reply:
    return json_reply(401, error_envelope(INVALID_USER, "Invalid User Details"))


def throttled(limit: RateLimit | None, config: EmulatorConfig) -> Reply:
    """No Retry-After / X-RateLimit headers: LeadSquared sends none."""
    limit = limit or FALLBACK_LIMIT
    return json_reply(
        config.throttle_status, error_envelope(RATE_LIMIT_EXCEEDED, limit.exceeded_message)
    )


def not_found() -> Reply:
    """A path no route matches: an HTML page, never the JSON error envelope."""
    return html_reply(404, "<html><body><h1>Endpoint not found.</h1></body></html>")


def method_not_allowed(allowed: str) -> Reply:
    reply = html_reply(405, "<html><body><h1>Method not allowed.</h1></body></html>")
    return Reply(reply.status, reply.body, reply.content_type, (("Allow", allowed),))


def redirect(location: str) -> Reply:
    """A 302 as a front end sends it (e.g. to another scheme or port), with a small page."""
    href = html.escape(location, quote=True)
    page = (
        "<html><head><title>Object moved</title></head>"
        f'<body><h2>Object moved to <a href="{href}">here</a>.</h2></body></html>'
    )
    return Reply(302, page.encode(), HTML_TYPE, (("Location", location),))


def internal_error(detail: str) -> Reply:
    return json_reply(500, {"Message": "An error has occurred.", "EmulatorError": detail})


def fault_reply(
    fault: Fault, limit: RateLimit | None, config: EmulatorConfig, method: str = "POST"
) -> Reply | StreamedReply:
    """The canned answer of a fault that answers without processing the request (see
    `Fault.answers` and `Fault.reaches_api`).

    `method` is the request's verb; a 405 names the other one as allowed.
    """
    match fault:
        case Fault.HTTP_500:
            return json_reply(500, {"Message": "An error has occurred."})
        case Fault.HTTP_502:
            return html_reply(502, _gateway_page("502 Bad Gateway"))
        case Fault.HTTP_503:
            return html_reply(503, _gateway_page("503 Service Temporarily Unavailable"))
        case Fault.NON_JSON_500:
            return html_reply(500, "<html><body>Internal Server Error</body></html>")
        case Fault.STATUS_ERROR_200:
            return json_reply(
                200, error_envelope(INVALID_INPUT, "Invalid Input! Parameter Name: activity")
            )
        case Fault.THROTTLE:
            return throttled(limit, config)
        case Fault.HTML_404:
            return not_found()
        case Fault.METHOD_NOT_ALLOWED_405:
            return method_not_allowed("GET" if method.upper() == "POST" else "POST")
        case Fault.REDIRECT_302:
            return redirect(config.redirect_location)
        case Fault.HUGE_ANSWER:
            return huge_answer(config.huge_answer_bytes)
        case Fault.GZIP_BOMB:
            return Reply(200, gzip_bomb(), JSON_TYPE, (("Content-Encoding", "gzip"),))
        case _:
            raise ValueError(f"fault {fault} does not answer")


def _gateway_page(title: str) -> str:
    return (
        f"<html><head><title>{title}</title></head>"
        f"<body><center><h1>{title}</h1></center></body></html>"
    )


def trickled(reply: Reply, interval: float) -> StreamedReply:
    """`reply` sent one byte at a time, `interval` seconds apart, after its headers."""
    body = reply.body
    pieces = (body[at : at + 1] for at in range(len(body)))
    return StreamedReply(
        reply.status, len(body), pieces, reply.content_type, reply.headers, interval
    )


# The bodies of HUGE_ANSWER and GZIP_BOMB: a success answer padded out, which only a client
# that reads (or inflates) it whole would take for one. Its id names no committed activity.
_PADDED_HEAD: Final = b'{"Status":"Success","Message":{"Id":"00000000-0000-4000-8000-000000000000"}'
_FILLER: Final = b"lorem ipsum dolor sit amet " * (64 * 1024 // 27)


def huge_answer(size: int) -> StreamedReply:
    """A 200 of exactly `size` bytes: the success answer with a filler string of the length
    needed (its first `size` bytes when `size` is smaller than the bare answer)."""
    return StreamedReply(200, size, _huge_pieces(size))


def _huge_pieces(size: int) -> Iterator[bytes]:
    head = _PADDED_HEAD + b',"Filler":"'
    tail = b'"}'
    filler = size - len(head) - len(tail)
    if filler < 0:
        yield (head + tail)[:size]
        return
    yield head
    while filler > 0:
        piece = _FILLER[:filler]
        filler -= len(piece)
        yield piece
    yield tail


# GZIP_BOMB inflates to about 1 GB: the success answer, then this many MiB of spaces.
GZIP_BOMB_MIB: Final = 1000
_BOMB_LOCK = threading.Lock()


def gzip_bomb() -> bytes:
    """The GZIP_BOMB body, made on first use (a fraction of a second) and kept."""
    with _BOMB_LOCK:
        return _gzip_bomb()


@functools.cache
def _gzip_bomb() -> bytes:
    # Each MiB of spaces is deflated after a full flush, which resets the compressor: every
    # such MiB deflates to the same bytes, so one is made and repeated, not 1000.
    mib = b" " * (1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = compressor.compress(_PADDED_HEAD) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(b"}") + compressor.flush(zlib.Z_FINISH)
    crc = zlib.crc32(_PADDED_HEAD)
    for _ in range(GZIP_BOMB_MIB):
        crc = zlib.crc32(mib, crc)
    crc = zlib.crc32(b"}", crc)
    inflated = len(_PADDED_HEAD) + GZIP_BOMB_MIB * len(mib) + 1
    # RFC 1952: magic, deflate, no flags, no mtime, maximum compression, unknown OS.
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, inflated & 0xFFFFFFFF)
    return b"".join((header, head, block * GZIP_BOMB_MIB, tail, trailer))
