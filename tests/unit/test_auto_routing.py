"""Auto mode's routing: a single slot or a row of the next bulk call (delivery.py)."""

from __future__ import annotations

import pytest

from activity_poster.delivery import single_turn_first
from activity_poster.ratelimit import RateLimit

STANDARD = (RateLimit(25, 5.0), RateLimit(5, 5.0))  # single spacing 0.2 s, bulk share 1 s
LITE = (RateLimit(2, 5.0), RateLimit(1, 5.0))  # single spacing 2.5 s, bulk share 5 s
THIN = (RateLimit(25, 5.0), RateLimit(1, 5.0))  # Standard's single budget, one bulk call


def routed_single(plan: tuple[RateLimit, RateLimit], single_free: float, bulk_free: float) -> int:
    """How many activities in a row wait for single slots before one goes to bulk."""
    single, bulk = plan
    ahead = 0
    while ahead < 100 and single_turn_first(single_free, ahead, single, bulk_free, bulk):
        ahead += 1
    return ahead


@pytest.mark.parametrize(
    ("plan", "single_free", "bulk_free", "expected"),
    [
        # The template's batches of 10 with one bulk call per 5 s: the bulk budget is spent
        # for 4.5 s while single slots free every 0.2 s: up to 20 go single, so a batch of
        # 10 never waits for the bulk budget.
        (THIN, 0.5, 4.5, 20),
        # Standard, the bulk budget spent for 4 s: only the turns within 1 s go single, the
        # rest wait for a bulk call that carries 25 of them.
        (STANDARD, 0.1, 4.0, 5),
        # Lite, a large batch: one single slot frees before the bulk call; the next turn
        # (2.5 s later) would not.
        (LITE, 2.0, 4.0, 1),
        # A bulk call free now: every activity joins it.
        (STANDARD, 0.0, 0.0, 0),
        (LITE, 0.0, 0.0, 0),
        # A single slot no sooner than the bulk call: bulk.
        (THIN, 3.0, 3.0, 0),
    ],
)
def test_routing(plan, single_free: float, bulk_free: float, expected: int) -> None:
    assert routed_single(plan, single_free, bulk_free) == expected
