"""The HTTP calls to LeadSquared: one pooled urllib3 connection manager, keys in headers."""

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

from activity_poster.credentials import ApiKeys
from activity_poster.leadsquared.bulk import classify_bulk
from activity_poster.leadsquared.classify import classify
from activity_poster.leadsquared.outcomes import Outcome, Unavailable

USER_AGENT = "leadsquared-activity-poster/0.1"


class LeadSquaredClient:
    def __init__(
        self,
        create_url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        bulk_url: str | None = None,
        max_connections: int = 10,
    ) -> None:
        self._create_url = create_url
        self._bulk_url = bulk_url
        # retries=False: a repeated POST can create a second activity, so whether to try again
        # is decided above this layer, from the outcome, never silently by urllib3.
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=max_connections,
            retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        )

    def create_activity(self, body: dict[str, Any], keys: ApiKeys) -> Outcome:
        answer = self._post(self._create_url, body, keys)
        return answer if isinstance(answer, Unavailable) else classify(*answer)

    def create_activities_bulk(
        self, rows: list[dict[str, Any]], keys: ApiKeys
    ) -> Outcome | list[Outcome]:
        """Up to 25 activities in one call: one outcome per row, or one for the whole call."""
        if self._bulk_url is None:
            raise RuntimeError("no bulk URL configured")
        answer = self._post(self._bulk_url, rows, keys)
        if isinstance(answer, Unavailable):
            return answer
        return classify_bulk(*answer, row_count=len(rows))

    def _post(self, url: str, body: Any, keys: ApiKeys) -> tuple[int, bytes] | Unavailable:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **keys.headers(),
        }
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        try:
            response = self._pool.request(
                "POST", url, body=payload, headers=headers, preload_content=True
            )
        except (ConnectTimeoutError, NewConnectionError, NameResolutionError) as error:
            return Unavailable(
                f"cannot connect to LeadSquared ({type(error).__name__})",
                may_have_committed=False,
            )
        except ReadTimeoutError:
            return Unavailable("LeadSquared did not answer in time", timed_out=True)
        except HTTPError as error:
            return Unavailable(f"connection to LeadSquared failed ({type(error).__name__})")
        return response.status, response.data
