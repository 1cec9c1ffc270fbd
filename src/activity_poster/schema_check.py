"""The container's copy of the account's schema, and the pre-flight check over it.

The schema is read once per container through the caller's `fetch` (one LeadSquared call,
which takes a slot of the standard budget like any), kept for `max_age` seconds, and read again
sooner when LeadSquared refused an activity the schema passed (`refresh_soon`), but never more
than once a minute. One read at a time: meanwhile other threads keep the copy at hand, or wait
for the container's first read. When the schema cannot be read, activities go on unchecked
(LeadSquared still judges each) and one WARNING a minute at most says so; a copy read earlier
is kept when reading it again fails.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from activity_poster.leadsquared.schema import AccountSchema, refusals
from activity_poster.models.validation import FieldError
from activity_poster.observability import logger

DEFAULT_MAX_AGE_SECONDS = 900.0
# Reads after a failure, or asked for by refresh_soon, are at least this far apart.
MIN_READ_INTERVAL_SECONDS = 60.0


class SchemaMode(StrEnum):
    STRICT = "strict"  # refuse what the schema proves LeadSquared would refuse
    OFF = "off"  # never read the schema: every activity goes to LeadSquared


class SchemaCheck:
    def __init__(
        self,
        fetch: Callable[[], AccountSchema | None],
        *,
        mode: SchemaMode = SchemaMode.STRICT,
        max_age: float = DEFAULT_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`fetch`: reads the schema, None when it could not be read."""
        self.mode = mode
        self._fetch = fetch
        self._max_age = max_age
        self._clock = clock
        self._reading = threading.Lock()
        self._schema: AccountSchema | None = None
        self._read_at: float | None = None  # when the last read ended, whatever it gave
        self._last_failed = False
        self._refresh_wanted = False
        self._refreshed_at = float("-inf")  # when a read was last made for refresh_soon()

    def check(self, activity: Mapping[str, Any]) -> list[FieldError]:
        """What the schema proves LeadSquared would refuse in `activity` (a Create body);
        nothing when the check is off or the schema cannot be read."""
        if self.mode is SchemaMode.OFF:
            return []
        schema = self.current()
        return [] if schema is None else refusals(schema, activity)

    def refresh_soon(self) -> None:
        """The schema may be out of date (LeadSquared refused what it passed, or it refuses
        an unknown type or field): read it again at once, at most once a minute."""
        self._refresh_wanted = True

    def current(self) -> AccountSchema | None:
        """The schema, read first when due; None when it has never been read."""
        if not self._due():
            return self._schema
        # Before the container's first read ends, wait for it; after, keep the copy at hand.
        if not self._reading.acquire(blocking=self._read_at is None):
            return self._schema
        try:
            if self._due():
                self._read()
        finally:
            self._reading.release()
        return self._schema

    def _due(self) -> bool:
        if self._read_at is None:
            return True
        now = self._clock()
        if self._last_failed:
            return now - self._read_at >= MIN_READ_INTERVAL_SECONDS
        if self._refresh_wanted and now - self._refreshed_at >= MIN_READ_INTERVAL_SECONDS:
            return True  # at once, and at most once a minute
        return now - self._read_at >= self._max_age

    def _read(self) -> None:
        if self._refresh_wanted:
            self._refreshed_at = self._clock()
        self._refresh_wanted = False  # a refresh asked for during the read waits for the next
        try:
            schema = self._fetch()
        except Exception:  # a pre-flight that fails must not stop the delivery
            logger.exception("reading LeadSquared's activity types failed")
            schema = None
        self._read_at = self._clock()
        self._last_failed = schema is None
        if schema is not None:
            self._schema = schema
        elif self._schema is None:
            logger.warning(
                "LeadSquared's activity types could not be read: activities go on unchecked "
                f"(tried again in {MIN_READ_INTERVAL_SECONDS:.0f} s)"
            )
        else:
            logger.warning(
                "LeadSquared's activity types could not be read again: the copy read before "
                f"is kept (tried again in {MIN_READ_INTERVAL_SECONDS:.0f} s)"
            )
