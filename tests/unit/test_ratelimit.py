"""The rolling-window limiter and the division of a plan's limit among containers."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activity_poster.ratelimit import RateLimit, RollingWindowLimiter


class FakeClock:
    """A clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(
    calls: int, window: float, margin: float = 0.0
) -> tuple[RollingWindowLimiter, FakeClock]:
    clock = FakeClock()
    return (
        RollingWindowLimiter(
            RateLimit(calls, window), margin_seconds=margin, clock=clock, sleep=clock.sleep
        ),
        clock,
    )


def max_in_any_window(starts: list[float], window: float) -> int:
    return max(sum(1 for t in starts if s <= t < s + window) for s in starts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25/5s", RateLimit(25, 5.0)),
        ("5/0.5s", RateLimit(5, 0.5)),
        (" 10 / 5 ", RateLimit(10, 5.0)),
    ],
)
def test_parse(text: str, expected: RateLimit) -> None:
    assert RateLimit.parse(text) == expected


@pytest.mark.parametrize("text", ["", "25", "0/5s", "25/0s", "-1/5s", "a/5s", "25/5m"])
def test_parse_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="CALLS/SECONDS"):
        RateLimit.parse(text)


@pytest.mark.parametrize(
    ("plan", "containers", "share"),
    [
        (RateLimit(25, 5), 2, RateLimit(12, 5)),
        (RateLimit(25, 5), 1, RateLimit(25, 5)),
        (RateLimit(10, 5), 10, RateLimit(1, 5)),
        (RateLimit(20, 5), 3, RateLimit(6, 5)),
    ],
)
def test_share_rounds_down_so_all_containers_stay_under_the_plan(plan, containers, share) -> None:
    assert plan.share(containers) == share
    assert plan.share(containers).calls * containers <= plan.calls


def test_share_refuses_more_containers_than_calls() -> None:
    with pytest.raises(ValueError, match="at least one call per window"):
        RateLimit(2, 5).share(3)


def test_a_full_window_makes_the_next_call_wait_for_the_oldest_to_leave() -> None:
    pacer, clock = limiter(3, 5.0)
    for _ in range(3):
        assert pacer.acquire()
    assert clock.now == 0.0

    assert pacer.acquire()

    assert clock.now == pytest.approx(5.0)


def test_the_window_rolls_rather_than_resetting_at_fixed_boundaries() -> None:
    pacer, clock = limiter(3, 5.0)
    pacer.acquire()  # t=0
    clock.now = 4.0
    pacer.acquire()
    pacer.acquire()  # t=4: window [0, 5) is full
    clock.now = 5.0

    pacer.acquire()  # the call at 0 has left; the two at 4 have not
    assert clock.now == pytest.approx(5.0)
    pacer.acquire()
    assert clock.now == pytest.approx(9.0)  # a fixed window would have allowed it at 5


def test_acquire_gives_up_when_no_slot_frees_up_in_time() -> None:
    pacer, clock = limiter(1, 5.0)
    pacer.acquire()

    assert pacer.acquire(latest=3.0) is False
    assert clock.now == 0.0  # gave up without waiting


def test_pause_holds_every_caller_back() -> None:
    pacer, clock = limiter(100, 5.0)
    pacer.pause(5.0)

    pacer.acquire()

    assert clock.now == pytest.approx(5.0)


def test_margin_widens_the_window() -> None:
    pacer, clock = limiter(1, 5.0, margin=0.25)
    pacer.acquire()
    pacer.acquire()
    assert clock.now == pytest.approx(5.25)


@settings(max_examples=200, deadline=None)
@given(
    calls=st.integers(1, 6),
    gaps=st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=40),
)
def test_no_window_ever_holds_more_than_the_limit(calls: int, gaps: list[float]) -> None:
    window = 5.0
    pacer, clock = limiter(calls, window)
    starts = []
    for gap in gaps:
        clock.now += gap
        pacer.acquire()
        starts.append(clock.now)
    assert max_in_any_window(starts, window) <= calls


def test_threads_share_one_window() -> None:
    pacer = RollingWindowLimiter(RateLimit(4, 0.3), margin_seconds=0.0)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            pacer.acquire()
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(starts) == 12
    # 12 calls at 4 per 0.3 s need at least two full windows.
    assert max(starts) - min(starts) >= 0.6 - 0.01
    assert max_in_any_window(sorted(starts), 0.3 - 0.005) <= 4


def test_a_slot_dated_again_counts_from_when_its_request_left() -> None:
    pacer, clock = limiter(2, 5.0)
    assert pacer.acquire()  # this call then spends 0.3 s opening its connection
    clock.now = 0.3
    pacer.redate()
    assert pacer.acquire()

    assert pacer.acquire()

    assert clock.now == pytest.approx(5.3)


def test_dating_again_moves_only_this_threads_own_slot() -> None:
    pacer, clock = limiter(2, 5.0)
    assert pacer.acquire()
    clock.now = 1.0
    other = threading.Thread(target=pacer.acquire)
    other.start()
    other.join()
    clock.now = 1.5
    pacer.redate()  # this thread's slot (taken at 0) moves to 1.5; the other stays at 1

    assert pacer.acquire()

    assert clock.now == pytest.approx(6.0)
