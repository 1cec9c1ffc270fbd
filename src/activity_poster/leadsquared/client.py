"""The HTTP calls to LeadSquared: one pool of connections to its host, keys in headers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry, parse_url

from activity_poster.credentials import ApiKeys
from activity_poster.leadsquared.bulk import classify_bulk
from activity_poster.leadsquared.classify import classify
from activity_poster.outcomes import ConnectionLost, Outcome, TimedOut, Unreachable

CREATE_PATH = "/v2/ProspectActivity.svc/Create"
BULK_PATH = "/v2/ProspectActivity.svc/Bulk/CustomActivity/Add/ByLeadId"
WHO_AM_I_PATH = "/v2/Authentication.svc/UserByAccessKey.Get"
# What _post gives back when no answer came.
NoAnswer = Unreachable | TimedOut | ConnectionLost
USER_AGENT = "leadsquared-activity-poster/0.1"
# LeadSquared's answers are a few KB (a page of 25 activities, tens of KB): anything larger is
# not an answer this function can use, and is not read further.
MAX_ANSWER_BYTES = 1024 * 1024
_CHUNK = 64 * 1024
# Identity: an answer is read as sent, never inflated (a small gzip can inflate to gigabytes).
_STATIC_HEADERS = {
    "Content-Type": "application/json",
    "Accept-Encoding": "identity",
    "User-Agent": USER_AGENT,
}
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

# Called in the calling thread once a new connection is open, just before its first request
# leaves: the rate-limit slot taken for the call is dated again from then (calls.py).
on_new_connection: ContextVar[Callable[[], None] | None] = ContextVar(
    "on_new_connection", default=None
)


def _announce() -> None:
    announce = on_new_connection.get()
    if announce is not None:
        announce()


class _Announced(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _announce()


class _AnnouncedTLS(HTTPSConnection):
    def connect(self) -> None:
        super().connect()  # the TLS handshake included
        _announce()


class LeadSquaredClient:
    def __init__(
        self,
        api_url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_connections: int = 10,
    ) -> None:
        """`api_url`: the tenant's API host, such as https://api-in21.leadsquared.com."""
        # One pool for the one host (a PoolManager would parse the URL and look the pool up
        # on every call). No retries: a repeated POST can create a second activity, so
        # whether to try again is decided above this layer, from the outcome, never
        # silently by urllib3; no redirects: the keys never go to another host.
        self._pool = urllib3.connection_from_url(
            api_url, maxsize=max_connections, retries=Retry(total=False, redirect=False)
        )
        tls = isinstance(self._pool, HTTPSConnectionPool)
        self._pool.ConnectionCls = _AnnouncedTLS if tls else _Announced
        self.api_url = api_url
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._headers: tuple[ApiKeys, dict[str, str]] | None = None

    def create_activity(
        self, body: dict[str, Any], keys: ApiKeys, read_timeout: float | None = None
    ) -> Outcome:
        answer = self.request("POST", CREATE_PATH, keys, body, read_timeout=read_timeout)
        return classify(*answer) if isinstance(answer, tuple) else answer

    def create_activities_bulk(
        self, rows: list[dict[str, Any]], keys: ApiKeys, read_timeout: float | None = None
    ) -> Outcome | list[Outcome]:
        """Up to 25 activities in one call: one outcome per row, or one for the whole call."""
        answer = self.request("POST", BULK_PATH, keys, rows, read_timeout=read_timeout)
        return classify_bulk(*answer, row_count=len(rows)) if isinstance(answer, tuple) else answer

    def home_of(self, keys: ApiKeys) -> str | None:
        """The API host these keys belong to, when LeadSquared names another than this
        client's (UserByAccessKey.Get answers on every regional host); else None."""
        answer = self.request("GET", WHO_AM_I_PATH, keys, read_timeout=min(self.read_timeout, 5))
        if not isinstance(answer, tuple) or answer[0] != 200:
            return None
        try:
            urls = json.loads(answer[1]).get("LSQCommonServiceURLs") or {}
            api = str(urls.get("api") or "").strip().rstrip("/")
        except (ValueError, UnicodeDecodeError, RecursionError, AttributeError):
            return None
        if not api:
            return None
        home = api if "://" in api else f"https://{api}"
        return None if parse_url(home).netloc == parse_url(self.api_url).netloc else home

    def _headers_for(self, keys: ApiKeys) -> dict[str, str]:
        """The request headers, built once per set of keys (they change only on rotation)."""
        cached = self._headers
        if cached is None or cached[0] != keys:
            cached = (keys, {**_STATIC_HEADERS, **keys.headers()})
            self._headers = cached
        return cached[1]

    def request(
        self,
        method: str,
        path: str,
        keys: ApiKeys,
        body: Any = None,
        *,
        read_timeout: float | None = None,
    ) -> tuple[int, bytes] | NoAnswer:
        """One request; the answer's status and body, or why none came.

        The whole call, body included, takes at most the connect and read timeouts together
        (a server that trickles its answer is cut off), and the body is read up to
        MAX_ANSWER_BYTES, undecoded (identity is asked for).
        """
        read = self.read_timeout if read_timeout is None else read_timeout
        payload = None if body is None else _ENCODER.encode(body).encode()
        ends = time.monotonic() + self.connect_timeout + read
        try:
            response = self._pool.urlopen(
                method,
                path,
                body=payload,
                headers=self._headers_for(keys),
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                timeout=urllib3.Timeout(connect=self.connect_timeout, read=read),
            )
        except (ConnectTimeoutError, NewConnectionError, NameResolutionError) as error:
            return Unreachable(f"cannot connect to LeadSquared ({type(error).__name__})")
        except ReadTimeoutError:
            return TimedOut("LeadSquared did not answer in time")
        except HTTPError as error:
            return ConnectionLost(f"connection to LeadSquared failed ({type(error).__name__})")
        except ValueError as error:
            # http.client refuses a header value it cannot send, quoting it: the keys are
            # checked when the secret is read, and this text is never passed on either.
            return Unreachable(f"the request could not be sent ({type(error).__name__})")
        try:
            return response.status, _read_bounded(response, ends, read)
        except (ReadTimeoutError, _TooSlow):
            response.close()
            return TimedOut("LeadSquared did not finish its answer in time")
        except HTTPError as error:
            return ConnectionLost(f"LeadSquared's answer broke off ({type(error).__name__})")
        finally:
            response.release_conn()


class _TooSlow(Exception):
    """The answer was still arriving when the call's time was up."""


def _read_bounded(response: BaseHTTPResponse, ends: float, read: float) -> bytes:
    """The body, read one socket read at a time until `ends` or MAX_ANSWER_BYTES."""
    sock = getattr(response.connection, "sock", None)
    parts: list[bytes] = []
    size = 0
    while True:
        left = ends - time.monotonic()
        if left <= 0:
            raise _TooSlow
        if sock is not None:  # no wait for the next bytes outlasts the call
            sock.settimeout(min(read, left))
        chunk = response.read1(_CHUNK)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            response.close()  # the connection goes, rather than read on
            return b"".join(parts)  # cut: it no longer parses, and is classified as such
        parts.append(chunk)
