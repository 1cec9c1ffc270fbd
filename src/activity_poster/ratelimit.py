"""Client-side pacing that keeps every rolling window at or under LeadSquared's limit.

LeadSquared does not say whether its "N calls in 5 seconds" window is fixed or rolling. A
token bucket that refills fully would allow 2N calls across a boundary; a log of the last N
call times allows at most N calls in any window, whichever way LeadSquared counts.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

_SPEC_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


@dataclass(frozen=True, slots=True)
class RateLimit:
    calls: int
    window_seconds: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """'25/5s' -> RateLimit(25, 5.0); raises ValueError on anything else."""
        match = _SPEC_RE.match(text)
        if not match or int(match[1]) <= 0 or float(match[2]) <= 0:
            raise ValueError(f"expected CALLS/SECONDS such as 25/5s, got {text!r}")
        return cls(int(match[1]), float(match[2]))

    def share(self, containers: int) -> RateLimit:
        """One container's part when `containers` share the limit (each gets a whole number)."""
        per_container = self.calls // containers
        if per_container < 1:
            raise ValueError(
                f"{containers} containers cannot divide {self.calls} "
                f"{'call' if self.calls == 1 else 'calls'} per {self.window_seconds:g} s: each "
                "needs at least one call per window (with LEADSQUARED_BUDGET_TABLE they share "
                "one budget instead)"
            )
        return RateLimit(per_container, self.window_seconds)

    def __str__(self) -> str:
        return f"{self.calls}/{self.window_seconds:g}s"


class DailyLimitReached(Exception):
    """The account's calls for the day are spent; LeadSquared refuses calls until the reset."""

    def __init__(self, seconds_to_reset: float) -> None:
        self.seconds_to_reset = seconds_to_reset
        super().__init__(
            f"the day's LeadSquared calls are spent; {seconds_to_reset:.0f} s to reset"
        )


class Pacer(Protocol):
    """What a call waits on before it starts: this container's limiter, or the account's
    budget shared by every container (budget.py)."""

    limit: RateLimit

    def acquire(self, latest: float | None = None) -> bool: ...

    def try_acquire(self) -> bool: ...

    def free_in(self) -> float:
        """Seconds until a slot is free (0 when one is free now); takes nothing."""
        ...

    def pause(self, seconds: float) -> None: ...

    def redate(self) -> None:
        """The call that took this thread's last slot leaves only now (it opened a new
        connection first): its slot counts from now."""
        ...


class RollingWindowLimiter:
    """At most `calls` starts in any `window + margin` seconds, shared by all threads.

    The margin absorbs the difference between when a request leaves and when LeadSquared
    counts it.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        margin_seconds: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self._span = limit.window_seconds + margin_seconds
        self._starts: deque[float] = deque(maxlen=limit.calls)
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._taken = threading.local()  # when this thread last took a slot

    def acquire(self, latest: float | None = None) -> bool:
        """Wait for a slot and take it; False (without waiting) if none frees up by `latest`."""
        while True:
            with self._lock:
                now = self._clock()
                ready = self._paused_until
                if len(self._starts) == self.limit.calls:
                    ready = max(ready, self._starts[0] + self._span)
                if ready <= now:
                    self._starts.append(now)
                    self._taken.at = now
                    return True
                if latest is not None and ready > latest:
                    return False
            self._sleep(ready - now)

    def try_acquire(self) -> bool:
        """Take a slot only if one is free right now; never waits."""
        with self._lock:
            now = self._clock()
            full = len(self._starts) == self.limit.calls and self._starts[0] + self._span > now
            if self._paused_until > now or full:
                return False
            self._starts.append(now)
            self._taken.at = now
            return True

    def free_in(self) -> float:
        with self._lock:
            now = self._clock()
            ready = self._paused_until
            if len(self._starts) == self.limit.calls:
                ready = max(ready, self._starts[0] + self._span)
            return max(0.0, ready - now)

    def pause(self, seconds: float) -> None:
        """Hold every caller back, for example after LeadSquared answered 'throttled'."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def redate(self) -> None:
        with self._lock:
            taken = getattr(self._taken, "at", None)
            if taken is None or taken not in self._starts:
                return  # the slot has left the log: it no longer limits anything
            self._starts.remove(taken)
            self._taken.at = now = self._clock()
            self._starts.append(now)  # the newest start: the log stays in order
