"""The container's cached schema: read once, kept for its age, read again after a surprise at
most once a minute, and, when it cannot be read, activities unchecked with one warning."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest

from activity_poster.leadsquared.schema import AccountSchema, parse_activity_types
from activity_poster.schema_check import (
    DEFAULT_MAX_AGE_SECONDS,
    MIN_READ_INTERVAL_SECONDS,
    SchemaCheck,
    SchemaMode,
)
from tests.logs import copy_of_logs

TYPES = [{"ActivityEvent": 212, "ActivityProperties": json.dumps({"FormMetaData": []})}]
KNOWN = {"ActivityEvent": 212}
UNKNOWN = {"ActivityEvent": 999}


def account() -> AccountSchema:
    parsed = parse_activity_types(TYPES)
    assert parsed is not None
    return parsed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Fetch:
    """The schema, or None while `failing`; counts the reads."""

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.reads = 0

    def __call__(self) -> AccountSchema | None:
        self.reads += 1
        return None if self.failing else account()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_the_schema_is_read_once_and_kept(clock):
    fetch = Fetch()
    check = SchemaCheck(fetch, clock=clock)
    assert check.check(UNKNOWN) != []
    assert check.check(KNOWN) == []
    clock.now += DEFAULT_MAX_AGE_SECONDS - 1
    assert check.check(UNKNOWN) != []
    assert fetch.reads == 1


def test_the_schema_is_read_again_once_older_than_its_max_age(clock):
    fetch = Fetch()
    check = SchemaCheck(fetch, max_age=120, clock=clock)
    check.check(KNOWN)
    clock.now += 120
    check.check(KNOWN)
    check.check(KNOWN)
    assert fetch.reads == 2


def test_a_surprise_rejection_reads_it_again_at_once_and_at_most_once_a_minute(clock):
    fetch = Fetch()
    check = SchemaCheck(fetch, clock=clock)
    check.check(KNOWN)
    clock.now += 10
    check.refresh_soon()
    check.check(KNOWN)
    assert fetch.reads == 2  # at once: the type or field may have just been created
    clock.now += 10
    check.refresh_soon()
    check.check(KNOWN)
    assert fetch.reads == 2  # the last refresh is 10 s old
    clock.now += MIN_READ_INTERVAL_SECONDS
    check.check(KNOWN)
    assert fetch.reads == 3  # the refresh asked for, a minute after the last one
    clock.now += MIN_READ_INTERVAL_SECONDS
    check.check(KNOWN)
    assert fetch.reads == 3  # nothing asked: the copy is kept for its max age


def test_a_refresh_asked_for_long_after_the_last_read_reads_at_once(clock):
    fetch = Fetch()
    check = SchemaCheck(fetch, clock=clock)
    check.check(KNOWN)
    clock.now += 300
    check.refresh_soon()
    check.check(KNOWN)
    assert fetch.reads == 2


def test_an_unreadable_schema_leaves_activities_unchecked_with_one_warning_a_minute(clock):
    fetch = Fetch(failing=True)
    check = SchemaCheck(fetch, clock=clock)
    with copy_of_logs(io.StringIO()) as logs:
        for _ in range(5):
            assert check.check(UNKNOWN) == []
            clock.now += 10
        warnings = _warnings(logs)
        assert fetch.reads == 1
        assert len(warnings) == 1
        assert "activities go on unchecked" in warnings[0]["message"]
        clock.now += MIN_READ_INTERVAL_SECONDS
        check.check(UNKNOWN)
        assert fetch.reads == 2
        assert len(_warnings(logs)) == 2
        fetch.failing = False
        clock.now += MIN_READ_INTERVAL_SECONDS
        assert check.check(UNKNOWN) != []  # readable again: checked again
        assert len(_warnings(logs)) == 2


def test_a_copy_read_before_is_kept_when_reading_again_fails(clock):
    fetch = Fetch()
    check = SchemaCheck(fetch, max_age=120, clock=clock)
    check.check(KNOWN)
    fetch.failing = True
    clock.now += 120
    with copy_of_logs(io.StringIO()) as logs:
        assert check.check(UNKNOWN) != []
        assert "copy read before is kept" in _warnings(logs)[0]["message"]
    clock.now += 30
    check.check(KNOWN)
    assert fetch.reads == 2  # retried a minute after the failure, not at every check
    clock.now += 30
    check.check(KNOWN)
    assert fetch.reads == 3


def test_a_fetch_that_raises_counts_as_unreadable(clock):
    def fetch() -> AccountSchema | None:
        raise RuntimeError("boom")

    check = SchemaCheck(fetch, clock=clock)
    with copy_of_logs(io.StringIO()):
        assert check.check(UNKNOWN) == []


def test_off_never_reads(clock):
    fetch = Fetch()
    check = SchemaCheck(fetch, mode=SchemaMode.OFF, clock=clock)
    assert check.check(UNKNOWN) == []
    assert fetch.reads == 0
    assert SchemaMode("strict") is SchemaMode.STRICT


def test_threads_share_one_read():
    started = threading.Event()
    reads = []

    def fetch() -> AccountSchema | None:
        reads.append(1)
        started.set()
        time.sleep(0.2)
        return account()

    check = SchemaCheck(fetch)
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(len(check.check(UNKNOWN)))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 1
    assert results == [1] * 8  # every thread waited for the first read and was checked


def test_after_the_first_read_other_threads_keep_the_copy_while_one_reads(clock):
    reading = threading.Event()
    release = threading.Event()
    fetch_count = []

    def fetch() -> AccountSchema | None:
        fetch_count.append(1)
        if len(fetch_count) == 2:
            reading.set()
            release.wait(5)
        return account()

    check = SchemaCheck(fetch, max_age=60, clock=clock)
    check.check(KNOWN)
    clock.now += 60
    reader = threading.Thread(target=check.check, args=(KNOWN,))
    reader.start()
    assert reading.wait(5)
    assert check.check(UNKNOWN) != []  # not blocked: the copy at hand
    release.set()
    reader.join()
    assert len(fetch_count) == 2


def _warnings(logs: io.StringIO) -> list[dict]:
    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.strip()]
    return [line for line in lines if line["level"] == "WARNING"]
