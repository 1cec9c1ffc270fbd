"""Fixtures that run a real emulator on a free loopback port and talk to it over HTTP."""

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import urllib3

from leadsquared_emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    Emulator,
    EmulatorConfig,
)

CREATE_PATH = "/v2/ProspectActivity.svc/Create"
BULK_PATH = "/v2/ProspectActivity.svc/Bulk/CustomActivity/Add/ByLeadId"


class LsqClient:
    """Minimal LeadSquared caller: JSON bodies, keys in headers or in the query string."""

    def __init__(self, emu: Emulator, http: urllib3.PoolManager) -> None:
        self.emu = emu
        self.http = http

    def request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        raw: bytes | None = None,
        auth: str | None = "headers",
        access_key: str = DEFAULT_ACCESS_KEY,
        secret_key: str = DEFAULT_SECRET_KEY,
        content_type: str | None = "application/json",
        query: dict[str, str] | None = None,
        timeout: Any = None,
        headers: dict[str, str] | None = None,
        **options: Any,
    ) -> urllib3.BaseHTTPResponse:
        """`options` go to urllib3 as they are (preload_content, decode_content...)."""
        all_headers: dict[str, str] = {}
        params = dict(query or {})
        if auth == "headers":
            all_headers["x-LSQ-AccessKey"] = access_key
            all_headers["x-LSQ-SecretKey"] = secret_key
        elif auth == "query":
            params["accessKey"] = access_key
            params["secretKey"] = secret_key
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        url = self.emu.url + path + (f"?{urlencode(params)}" if params else "")
        body = raw if raw is not None else (None if payload is None else json.dumps(payload))
        kwargs: dict[str, Any] = {"body": body, "headers": all_headers, **options}
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.http.request(method, url, **kwargs)

    def create(self, payload: Any = None, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        return self.request("POST", CREATE_PATH, payload, **kwargs)

    def bulk(self, rows: Any = None, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        return self.request("POST", BULK_PATH, rows, **kwargs)


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2.0, read=5.0))
    yield pool
    pool.clear()


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with config overrides; rate limits are off unless a test sets them."""
    started: list[Emulator] = []

    def start(**overrides: Any) -> Emulator:
        settings: dict[str, Any] = {"rate_limit": None, "bulk_rate_limit": None}
        settings.update(overrides)
        emu = Emulator(EmulatorConfig(**settings)).start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def emu(make_emulator: Callable[..., Emulator]) -> Emulator:
    return make_emulator()


@pytest.fixture
def client(emu: Emulator, http: urllib3.PoolManager) -> LsqClient:
    return LsqClient(emu, http)


@pytest.fixture
def make_client(
    make_emulator: Callable[..., Emulator], http: urllib3.PoolManager
) -> Callable[..., LsqClient]:
    """A client bound to a fresh emulator started with the given config overrides."""

    def build(**overrides: Any) -> LsqClient:
        return LsqClient(make_emulator(**overrides), http)

    return build
