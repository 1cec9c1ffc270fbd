"""The HTTP calls to LeadSquared: one pool of connections to its host, keys in headers."""

from __future__ import annotations

import json
from typing import Any

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util import Retry

from activity_poster.credentials import ApiKeys
from activity_poster.leadsquared.bulk import classify_bulk
from activity_poster.leadsquared.classify import classify
from activity_poster.outcomes import ConnectionLost, Outcome, TimedOut, Unreachable

CREATE_PATH = "/v2/ProspectActivity.svc/Create"
BULK_PATH = "/v2/ProspectActivity.svc/Bulk/CustomActivity/Add/ByLeadId"
# What _post gives back when no answer came.
NoAnswer = Unreachable | TimedOut | ConnectionLost
USER_AGENT = "leadsquared-activity-poster/0.1"
# LeadSquared asks for the Content-Type only and answers JSON whatever the Accept header says;
# every header costs a little on every call.
_STATIC_HEADERS = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


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
        # silently by urllib3. (What `retries=False` means, as one object: urllib3 would
        # otherwise build it anew for every call.)
        self._pool = urllib3.connection_from_url(
            api_url,
            maxsize=max_connections,
            retries=Retry(total=False, redirect=False),
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        )
        self._headers: tuple[ApiKeys, dict[str, str]] | None = None

    def create_activity(self, body: dict[str, Any], keys: ApiKeys) -> Outcome:
        answer = self._post(CREATE_PATH, body, keys)
        return classify(*answer) if isinstance(answer, tuple) else answer

    def create_activities_bulk(
        self, rows: list[dict[str, Any]], keys: ApiKeys
    ) -> Outcome | list[Outcome]:
        """Up to 25 activities in one call: one outcome per row, or one for the whole call."""
        answer = self._post(BULK_PATH, rows, keys)
        return classify_bulk(*answer, row_count=len(rows)) if isinstance(answer, tuple) else answer

    def _headers_for(self, keys: ApiKeys) -> dict[str, str]:
        """The request headers, built once per set of keys (they change only on rotation)."""
        cached = self._headers
        if cached is None or cached[0] != keys:
            cached = (keys, {**_STATIC_HEADERS, **keys.headers()})
            self._headers = cached
        return cached[1]

    def _post(self, path: str, body: Any, keys: ApiKeys) -> tuple[int, bytes] | NoAnswer:
        payload = _ENCODER.encode(body).encode()
        try:
            response = self._pool.urlopen(
                "POST",
                path,
                body=payload,
                headers=self._headers_for(keys),
                redirect=False,
                assert_same_host=False,
                preload_content=True,
            )
        except (ConnectTimeoutError, NewConnectionError, NameResolutionError) as error:
            return Unreachable(f"cannot connect to LeadSquared ({type(error).__name__})")
        except ReadTimeoutError:
            return TimedOut("LeadSquared did not answer in time")
        except HTTPError as error:
            return ConnectionLost(f"connection to LeadSquared failed ({type(error).__name__})")
        return response.status, response.data
