"""Many threads' activities, gathered into bulk calls of up to 25 rows.

Each delivery thread hands its row over and waits; the first thread whose row is still
waiting after a short linger (or that fills a call) sends a call for the rows gathered so
far. Every row gets its own outcome back, matched by RowNumber, so a rejected row fails
only its own message and the rest of the code sees no difference from single calls.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from activity_poster.credentials import ApiKeys
from activity_poster.deadline import Deadline
from activity_poster.leadsquared.bulk import MAX_ROWS
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.leadsquared.outcomes import Outcome, Unavailable
from activity_poster.observability import logger
from activity_poster.ratelimit import RollingWindowLimiter

Rows = list[Outcome]
CallWithRetries = Callable[..., tuple[Rows | Outcome, int]]


@dataclass(eq=False)
class _Row:
    body: dict[str, Any]
    deadline: Deadline
    taken: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None
    attempts: int = 0


class BulkCollector:
    def __init__(
        self,
        client: LeadSquaredClient,
        call_with_retries: CallWithRetries,
        limiter: RollingWindowLimiter | None,
        linger_seconds: float,
    ) -> None:
        self._client = client
        self._call_with_retries = call_with_retries
        self._limiter = limiter
        self._linger = linger_seconds
        self._waiting: deque[_Row] = deque()
        self._lock = threading.Lock()

    def post(self, body: dict[str, Any], deadline: Deadline) -> tuple[Outcome, int]:
        row = _Row(body, deadline)
        with self._lock:
            self._waiting.append(row)
            full = len(self._waiting) >= MAX_ROWS
        if not full:
            row.done.wait(self._linger)
        while not row.taken:
            with self._lock:
                if row.taken:
                    break
                chunk = [self._waiting.popleft() for _ in range(min(MAX_ROWS, len(self._waiting)))]
                for item in chunk:
                    item.taken = True
            self._send(chunk)
        row.done.wait()
        assert row.outcome is not None
        return row.outcome, row.attempts

    def _send(self, chunk: list[_Row]) -> None:
        """One bulk call (with retries) for `chunk`; every row gets an outcome, always."""
        try:
            deadline = min((row.deadline for row in chunk), key=lambda d: d.remaining())
            rows = [row.body for row in chunk]
            answer, attempts = self._call_with_retries(
                lambda keys: self._bulk_call(rows, keys), self._limiter, deadline
            )
            outcomes = answer if isinstance(answer, list) else [answer] * len(chunk)
            unaccounted = sum(
                isinstance(o, Unavailable) and "does not account" in o.reason for o in outcomes
            )
            if unaccounted:
                logger.warning(
                    "bulk answer left rows unaccounted for; they are reported as failed",
                    extra={"rows": len(chunk), "unaccounted": unaccounted},
                )
        except Exception as error:
            logger.exception("bulk call failed unexpectedly")
            outcomes = [Unavailable(f"bulk call failed ({type(error).__name__})")] * len(chunk)
            attempts = 1
        for row, outcome in zip(chunk, outcomes, strict=True):
            row.outcome, row.attempts = outcome, attempts
            row.done.set()

    def _bulk_call(self, rows: list[dict[str, Any]], keys: ApiKeys) -> Rows | Outcome:
        return self._client.create_activities_bulk(rows, keys)
