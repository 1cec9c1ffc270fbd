"""`log_info` writes the line `logger.info` writes, and steps aside where it could differ."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from aws_lambda_powertools.logging.filters import SuppressFilter

from activity_poster.observability import copy_of_logs, log_info, logger

FIELDS = {"outcome": "delivered", "latency_ms": 12.5, "attempts": 1, "activity_id": "a-1"}


@pytest.fixture
def stdlib_logger() -> Iterator[logging.Logger]:
    std = logging.getLogger(logger.name)
    level = std.level
    std.setLevel(logging.INFO)
    try:
        yield std
    finally:
        std.setLevel(level)
        logger.thread_safe_clear_keys()


@contextmanager
def root_handlers(*handlers: logging.Handler) -> Iterator[None]:
    """Only `handlers` on the root logger: pytest's capture, which Powertools lets this
    service's records through to, set aside."""
    saved = list(logging.root.handlers)
    logging.root.handlers[:] = handlers
    try:
        yield
    finally:
        logging.root.handlers[:] = saved


@pytest.fixture
def records_made() -> Iterator[list[str]]:
    """The messages of the LogRecords made while the test runs."""
    made: list[str] = []
    factory = logging.getLogRecordFactory()

    def counting(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        made.append(record.getMessage())
        return record

    logging.setLogRecordFactory(counting)
    try:
        yield made
    finally:
        logging.setLogRecordFactory(factory)


def without_time(line: str) -> dict:
    parsed = json.loads(line)
    assert parsed.pop("timestamp")
    return parsed


def both_lines(
    message: str, fields: dict, *extra_root_handlers: logging.Handler
) -> tuple[str, str]:
    """The line of `log_info`, then `logger.info`'s, both called from the same line."""

    def emit(use_log_info: bool) -> str:
        with root_handlers(*extra_root_handlers), copy_of_logs(io.StringIO()) as buffer:
            log_info(message, fields) if use_log_info else logger.info(message, extra=fields)
        return buffer.getvalue()

    return emit(True), emit(False)


def test_the_same_line_as_logger_info(
    stdlib_logger: logging.Logger, records_made: list[str]
) -> None:
    logger.thread_safe_append_keys(message_id="m-1")
    fast, reference = both_lines("activity delivered", FIELDS)

    assert records_made == ["activity delivered"]  # logger.info's; log_info made none
    assert fast.count("\n") == reference.count("\n") == 1
    fast_line, reference_line = without_time(fast), without_time(reference)
    assert fast_line == reference_line
    assert list(fast_line) == list(reference_line)  # the same order of keys
    assert fast_line["message_id"] == "m-1"
    assert fast_line["location"].startswith("emit:")


def test_the_timestamp_has_powertools_format(stdlib_logger: logging.Logger) -> None:
    fast, reference = both_lines("activity delivered", FIELDS)

    stamp, other = json.loads(fast)["timestamp"], json.loads(reference)["timestamp"]
    assert len(stamp) == len(other)
    assert stamp[:16] == other[:16]  # the same minute, written the same way


def test_personal_data_is_masked(stdlib_logger: logging.Logger) -> None:
    fast, _ = both_lines("sent to priya.nair@example.org", {"detail": "call +91-9876501234"})

    assert "priya.nair" not in fast
    assert "9876501234" not in fast
    assert "p***@example.org" in fast


def test_a_root_handler_with_powertools_filter_is_passed_by(
    stdlib_logger: logging.Logger, records_made: list[str]
) -> None:
    """Lambda's runtime puts a handler on the root logger; Powertools filters this
    service's records out of it, so the line needs no record."""
    root_buffer = io.StringIO()
    root_handler = logging.StreamHandler(root_buffer)
    root_handler.addFilter(SuppressFilter(logger.name))
    with root_handlers(root_handler), copy_of_logs(io.StringIO()) as buffer:
        log_info("activity delivered", FIELDS)

    assert json.loads(buffer.getvalue())["activity_id"] == "a-1"
    assert records_made == []
    assert root_buffer.getvalue() == ""


def test_nothing_below_the_level(stdlib_logger: logging.Logger) -> None:
    stdlib_logger.setLevel(logging.WARNING)

    fast, reference = both_lines("activity delivered", FIELDS)

    assert fast == reference == ""


def test_an_ancestor_handler_that_takes_the_record_gets_it(
    stdlib_logger: logging.Logger,
) -> None:
    """A root handler without Powertools' filter (as pytest's caplog) sees the line too."""
    root_buffer = io.StringIO()
    root_handler = logging.StreamHandler(root_buffer)
    root_handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(funcName)s"))

    fast, _ = both_lines("activity delivered", FIELDS, root_handler)

    assert json.loads(fast)["outcome"] == "delivered"
    assert root_buffer.getvalue().splitlines()[0] == "INFO activity delivered emit"


def test_a_handler_of_another_kind_gets_a_record(stdlib_logger: logging.Logger) -> None:
    records: list[logging.LogRecord] = []

    class Collecting(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    collecting = Collecting()
    stdlib_logger.addHandler(collecting)
    try:
        fast, reference = both_lines("activity delivered", FIELDS)
    finally:
        stdlib_logger.removeHandler(collecting)

    assert without_time(fast) == without_time(reference)
    assert [r.getMessage() for r in records] == ["activity delivered"] * 2
    assert records[0].funcName == "emit"
    assert records[0].__dict__["activity_id"] == "a-1"


def test_a_message_powertools_would_decode_takes_its_path(
    stdlib_logger: logging.Logger, records_made: list[str]
) -> None:
    fast, reference = both_lines('{"note": "json"}', {})

    assert len(records_made) == 2
    assert json.loads(fast)["message"] == {"note": "json"}
    assert without_time(fast) == without_time(reference)
