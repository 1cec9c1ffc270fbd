"""The formatter's fast path writes what Powertools' own format writes, masked the same way."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from hypothesis import given
from hypothesis import strategies as st

from activity_poster.observability import MaskingFormatter

EMAIL = "priya.nair@example.org"
PHONE = "+91-9876501234"

# Values of the keys the fast path leaves unmasked: what this function and AWS put there.
safe_text = st.text(alphabet="abcdef-:0123", max_size=20)
untrusted_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from([EMAIL, PHONE, f"Duplicate: {EMAIL}", f"call {PHONE} now", "9876501234"]),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(0, 1e4))
trusted_extras = st.fixed_dictionaries(
    {},
    optional={
        "outcome": safe_text,
        "activity_id": safe_text,
        "latency_ms": st.floats(0, 1e4),
        "attempts": st.integers(0, 5),
        "http_status": st.none() | st.integers(100, 599),
        # keys that the log format or the context keys hold too
        "service": safe_text,
        "message_id": safe_text,
    },
)
untrusted_extras = st.dictionaries(
    st.sampled_from(["error_message", "reason", "error_type", "secret_id", "detail"]),
    st.one_of(
        untrusted_text,
        scalars,
        st.lists(st.fixed_dictionaries({"field": untrusted_text, "message": untrusted_text})),
    ),
)
messages = st.one_of(
    untrusted_text,
    st.sampled_from(
        ['{"a": 1}', "[1, 2]", "42", "true", "null", ' {"b": "x"}', "activity delivered"]
    ),
)


def record(message: Any, args: tuple[Any, ...], extras: dict[str, Any]) -> logging.LogRecord:
    made = logging.LogRecord("svc", logging.INFO, __file__, 12, message, args, None, "handle")
    made.__dict__.update(extras)
    return made


def powertools_format(formatter: MaskingFormatter, made: logging.LogRecord) -> dict[str, Any]:
    """Powertools' own format (the whole line masked), bypassing the fast path."""
    return json.loads(super(MaskingFormatter, formatter).format(made))


@given(
    message=messages,
    trusted=trusted_extras,
    untrusted=untrusted_extras,
    context=st.dictionaries(st.sampled_from(["message_id", "correlation_id"]), safe_text),
)
def test_fast_path_matches_powertools(
    message: str, trusted: dict[str, Any], untrusted: dict[str, Any], context: dict[str, str]
) -> None:
    formatter = MaskingFormatter(service="leadsquared-activity-poster")
    formatter.append_keys(cold_start=True, function_name="poster", function_memory_size=256)
    formatter.thread_safe_append_keys(**context)
    made = record(message, (), {**trusted, **untrusted})
    try:
        fast = json.loads(formatter.format(made))
        reference = powertools_format(formatter, made)
        assert fast == reference
        assert list(fast) == list(reference)  # the same order of keys
    finally:
        formatter.thread_safe_clear_keys()


def test_personal_data_is_masked_on_the_fast_path() -> None:
    formatter = MaskingFormatter(service="svc")
    made = record(
        f"LeadSquared said: {EMAIL}",
        (),
        {"error_message": f"call {PHONE}", "field_errors": [{"field": "x", "message": EMAIL}]},
    )

    line = formatter.format(made)

    assert EMAIL not in line
    assert PHONE not in line
    assert "p***@example.org" in line
    assert "***34" in line


def test_messages_with_arguments_and_exceptions_take_powertools_path() -> None:
    formatter = MaskingFormatter(service="svc")
    with_args = record("sent %s to %s", ("a", EMAIL), {})
    assert json.loads(formatter.format(with_args))["message"] == "sent a to p***@example.org"

    try:
        raise ValueError(EMAIL)
    except ValueError:
        failed = logging.LogRecord("svc", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    line = json.loads(formatter.format(failed))
    assert line["exception_name"] == "ValueError"
    assert EMAIL not in json.dumps(line)


@given(
    created=st.floats(0, 4_102_444_800),  # up to 2100
    datefmt=st.sampled_from([None, "%d/%m/%Y %H:%M:%S.%F", "%H:%M:%S", "%Y %%F %F"]),
    utc=st.booleans(),
)
def test_the_time_is_powertools_time(created: float, datefmt: str | None, utc: bool) -> None:
    formatter = MaskingFormatter(service="svc", datefmt=datefmt, utc=utc)
    made = record("m", (), {})
    made.created, made.msecs = created, float(int(created * 1000) % 1000)

    ours = formatter.formatTime(made)

    assert ours == formatter.formatTime(made)  # once more, from the second's cache
    assert ours == LambdaPowertoolsFormatter.formatTime(formatter, made)


@given(
    order=st.permutations(["level", "location", "message", "timestamp", "service"]),
    message=messages,
    extras=trusted_extras,
)
def test_any_order_of_keys_matches_powertools(
    order: list[str], message: str, extras: dict[str, Any]
) -> None:
    formatter = MaskingFormatter(service="svc", log_record_order=order)
    formatter.append_keys(cold_start=False, function_name="poster", sampling_rate=None)
    made = record(message, (), extras)

    fast = json.loads(formatter.format(made))
    reference = powertools_format(formatter, made)

    assert fast == reference
    assert list(fast) == list(reference)


def test_a_change_of_keys_reaches_the_next_line() -> None:
    formatter = MaskingFormatter(service="svc")
    made = record("activity delivered", (), {"outcome": "delivered"})
    assert "order_id" not in json.loads(formatter.format(made))

    formatter.append_keys(order_id="o-1")
    assert json.loads(formatter.format(made))["order_id"] == "o-1"
    formatter.append_keys(order_id="o-2")
    assert json.loads(formatter.format(made))["order_id"] == "o-2"
    formatter.remove_keys(["order_id"])
    assert "order_id" not in json.loads(formatter.format(made))
    formatter.append_keys(order_id="o-3")
    formatter.clear_state()
    assert "order_id" not in json.loads(formatter.format(made))
