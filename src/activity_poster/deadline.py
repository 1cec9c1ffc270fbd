"""How much of the invocation is left, so no call starts that cannot finish in time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol


class HasRemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Deadline:
    """An absolute point on the monotonic clock; `None` means no limit."""

    at: float | None
    created: float = field(default_factory=time.monotonic)

    @classmethod
    def from_context(
        cls, context: HasRemainingTime | None, cap_seconds: float | None = None
    ) -> Deadline:
        now = time.monotonic()
        limits = []
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining):
            limits.append(now + remaining() / 1000)
        if cap_seconds is not None:
            limits.append(now + cap_seconds)
        return cls(min(limits) if limits else None, now)

    def remaining(self) -> float:
        return float("inf") if self.at is None else self.at - time.monotonic()

    def allows(self, seconds: float) -> bool:
        return self.remaining() > seconds

    def latest_start(self, budget: float) -> float | None:
        """The last moment a call needing `budget` seconds may begin."""
        return None if self.at is None else self.at - budget


NO_DEADLINE = Deadline(None)


# LeadSquared answers in about 0.3 s. A call left less than this for its answer is more likely
# cut off than answered, and a cut answer costs a lookup before the activity can be retried.
MIN_ANSWER_SECONDS = 1.5


@dataclass(frozen=True, slots=True)
class CallTimes:
    """How long one call may take: its connect and read timeouts, and the margin kept for
    answering the invocation after the last call."""

    connect: float
    read: float
    margin: float

    @property
    def shortest(self) -> float:
        """The least time left at which a useful call still starts."""
        return self.margin + self.connect + min(self.read, MIN_ANSWER_SECONDS)

    def read_timeout(self, deadline: Deadline) -> float | None:
        """The read timeout of a call starting now: the configured one, shortened to fit the
        time left; None when not even the shortest useful call fits."""
        if not deadline.allows(self.shortest):
            return None
        return min(self.read, deadline.remaining() - self.margin - self.connect)
