"""Many threads' activities, gathered into bulk calls of up to 25 rows.

Each delivery thread hands its row over and waits. After a short linger (or at once when a
call is full) one waiting thread leads: it first waits for a slot in the bulk budget, and only
then takes up to 25 rows, so that rows arriving while it waited ride in the same call.
Every row gets its own outcome back (see leadsquared/bulk.py), so a rejected row fails only
its own message and the rest of the code sees no difference from single calls.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from activity_poster.calls import RetryingCaller, Tried
from activity_poster.deadline import Deadline
from activity_poster.leadsquared.bulk import MAX_ROWS
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.observability import logger
from activity_poster.outcomes import ConnectionLost, Outcome, Unaccounted
from activity_poster.ratelimit import Pacer


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
        caller: RetryingCaller,
        limiter: Pacer | None,
        linger_seconds: float,
    ) -> None:
        self._client = client
        self._caller = caller
        self._limiter = limiter
        self._linger = linger_seconds
        self._waiting: deque[_Row] = deque()
        self._lock = threading.Lock()
        self._leading = False  # a thread is waiting for a bulk slot, to send the next call

    def deliver_row(self, body: dict[str, Any], deadline: Deadline) -> Tried[Outcome]:
        """Hand `body` over as a row of the next bulk call; its own outcome once answered."""
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
                lead = not self._leading
                self._leading = True
            if not lead:
                row.done.wait(0.05)  # the leader may take this row into its call
                continue
            try:
                reserved = self._reserve_slot(row.deadline)
                with self._lock:
                    count = min(MAX_ROWS, len(self._waiting))
                    chunk = [self._waiting.popleft() for _ in range(count)]
                    for item in chunk:
                        item.taken = True
            finally:
                with self._lock:
                    self._leading = False
            self._send(chunk, reserved)
        row.done.wait()
        assert row.outcome is not None
        return Tried(row.outcome, row.attempts)

    def _reserve_slot(self, deadline: Deadline) -> bool:
        """Wait for the bulk budget (not past the deadline); True once a slot is taken."""
        if self._limiter is None:
            return False
        return self._limiter.acquire(deadline.latest_start(self._caller.times.shortest))

    def _send(self, chunk: list[_Row], slot_reserved: bool) -> None:
        """One bulk call (with retries) for `chunk`; every row gets an outcome, always."""
        try:
            deadline = min((row.deadline for row in chunk), key=lambda d: d.remaining())
            rows = [row.body for row in chunk]
            answer, attempts = self._caller.run(
                lambda keys, read: self._client.create_activities_bulk(rows, keys, read),
                self._limiter,
                deadline,
                slot_reserved=slot_reserved,
                # A call that may have committed is never sent again whole: each row is
                # looked up on its own (delivery.py) before it is sent again.
                reconcile=lambda lost: lost,
            )
            outcomes = answer if isinstance(answer, list) else [answer] * len(chunk)
            unaccounted = sum(isinstance(o, Unaccounted) for o in outcomes)
            if unaccounted:
                logger.warning(
                    "bulk answer left rows unaccounted for; they are reported as failed",
                    extra={"rows": len(chunk), "unaccounted": unaccounted},
                )
        except Exception as error:
            logger.exception("bulk call failed unexpectedly")
            outcomes = [ConnectionLost(f"bulk call failed ({type(error).__name__})")] * len(chunk)
            attempts = 1
        for row, outcome in zip(chunk, outcomes, strict=True):
            row.outcome, row.attempts = outcome, attempts
            row.done.set()
