"""When to try a call again, and how long to wait first; nothing here sleeps."""

from __future__ import annotations

import random
from dataclasses import dataclass

from activity_poster.leadsquared.outcomes import Outcome, Throttled, Unavailable

# LeadSquared counts its limits over 5-second windows and sends no retry hint.
LEADSQUARED_WINDOW_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_base_seconds: float = 0.25
    backoff_cap_seconds: float = 4.0
    throttle_window_seconds: float = LEADSQUARED_WINDOW_SECONDS

    def wait_before_retry(
        self, outcome: Outcome, attempt: int, rng: random.Random | None = None
    ) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when not to retry at all.

        Rejected, delivered and unauthorized outcomes are never retried here (a 401 is
        handled by re-reading the secret, elsewhere).
        """
        if attempt >= self.max_attempts:
            return None
        draw = rng.random() if rng else random.random()  # noqa: S311 - jitter, not secrecy
        if isinstance(outcome, Throttled):
            # Wait the whole window out, plus jitter so containers do not return in step.
            return self.throttle_window_seconds * (1 + 0.2 * draw)
        if isinstance(outcome, Unavailable):
            if not outcome.may_have_committed and attempt == 1:
                return 0.0  # the request never reached LeadSquared: nothing to be careful of
            ceiling = min(
                self.backoff_cap_seconds, self.backoff_base_seconds * 2.0 ** (attempt - 1)
            )
            return ceiling / 2 + ceiling / 2 * draw  # "equal jitter": never zero, never in step
        return None
