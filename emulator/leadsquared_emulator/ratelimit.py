"""Sliding-window throttling, the conservative reading of "N calls in 5 seconds"."""

from collections import deque

from .config import RateLimit


class SlidingWindow:
    """Arrival times of the calls admitted into one bucket (not thread-safe; callers lock)."""

    __slots__ = ("_stamps",)

    def __init__(self) -> None:
        self._stamps: deque[float] = deque()

    def admit(self, limit: RateLimit, now: float, *, count_rejected: bool = False) -> bool:
        """Admit the call unless `limit.calls` calls were admitted in the last window.

        A rejected call is not recorded unless `count_rejected`, so by default a client that
        backs off after a throttle regains capacity as soon as the oldest admitted call ages out.
        """
        horizon = now - limit.window_seconds
        stamps = self._stamps
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        if len(stamps) >= limit.calls:
            if count_rejected:
                stamps.append(now)
            return False
        stamps.append(now)
        return True

    def clear(self) -> None:
        self._stamps.clear()

    def __len__(self) -> int:
        return len(self._stamps)
