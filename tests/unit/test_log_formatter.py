"""Log lines mask e-mail addresses and phone numbers, and keep what this function and AWS write."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any
from unittest import mock

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from hypothesis import given
from hypothesis import strategies as st

from activity_poster.observability import MaskingFormatter, mask_personal_data

EMAIL = "priya.nair@example.org"
PHONE = "+91-9876501234"


def record(message: Any, args: tuple[Any, ...], extras: dict[str, Any]) -> logging.LogRecord:
    made = logging.LogRecord("svc", logging.INFO, __file__, 12, message, args, None, "handle")
    made.__dict__.update(extras)
    return made


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (EMAIL, "p***@example.org"),
        (f"Duplicate entry '{EMAIL}' for key", "Duplicate entry 'p***@example.org' for key"),
        (PHONE, "***34"),
        ("+91 98765 01234", "***34"),
        ("+919876501234", "***34"),
        ("call 9876501234 now", "call ***34 now"),
        ("Invalid phone 9876501234.", "Invalid phone ***34."),
        ("98765 01234", "***34"),
        ("987-650-1234", "***34"),
        ("(987) 650-1234", "***34"),
        ("phone: (987) 650-1234.", "phone: ***34."),
        ("1-800-555-1234", "***34"),
        # JSON's escapes: the number stands alone in the text the line encodes
        ('"line one\\n9876501234"', '"line one\\n***34"'),
        ('"\\t987-650-1234"', '"\\t***34"'),
    ],
)
def test_emails_and_phone_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-29 06:29:31,123",
        "2026-11-29 06:29:31,123+0530",
        "2026-11-29T06:29:31.123+00:00",
        "2026-11-29",
        "12.5",
        "latency_ms 1234.5678901234",
        "12345678901.25",
        "c0a8e5d2-9f3b-4e7a-8d21-6b5f0c3e9a14",  # an AWS request id, an SQS message id
        "12345678-1234-1234-1234-123456789012",
        "{A1B2C3D4-1111-2222-3333-444455556666}",  # a LeadSquared activity id
        "1-5759e988-bd862e3fe1be46a994272793",  # an X-Ray trace id
        "arn:aws:lambda:ap-south-1:123456789012:function:poster",
        '"timestamp":1764397771123',
        "attempt 3 of 5 after 250 ms",
        "1 2 3 4 5 6 7 8 9 10",
        "987.650.1234",
    ],
)
def test_identifiers_times_and_numbers_are_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text


@given(st.uuids())
def test_guids_are_left_alone(guid: Any) -> None:
    for text in (str(guid), str(guid).upper(), f"{{{str(guid).upper()}}}"):
        assert mask_personal_data(text) == text


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**9), 10**9))
def test_numbers_of_keys_are_left_alone(number: float) -> None:
    text = json.dumps({"latency_ms": number, "attempts": number}, separators=(",", ":"))
    assert mask_personal_data(text) == text


def test_personal_data_is_masked_in_every_value() -> None:
    formatter = MaskingFormatter(service="svc")
    made = record(
        f"LeadSquared said: {EMAIL}",
        (),
        {
            "error_message": f"call {PHONE} or 987-650-1234",
            "field_errors": [{"field": "x", "message": EMAIL}],
        },
    )

    line = formatter.format(made)

    assert EMAIL not in line
    assert PHONE not in line
    assert "987-650-1234" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "LeadSquared said: p***@example.org"
    assert parsed["error_message"] == "call ***34 or ***34"
    assert parsed["field_errors"] == [{"field": "x", "message": "p***@example.org"}]


def test_messages_with_arguments_and_exceptions_are_masked() -> None:
    formatter = MaskingFormatter(service="svc")
    with_args = record("sent %s to %s", ("a", EMAIL), {})
    assert json.loads(formatter.format(with_args))["message"] == "sent a to p***@example.org"

    try:
        raise ValueError(f"Duplicate\n{EMAIL}\n9876501234")
    except ValueError:
        failed = logging.LogRecord("svc", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    line = formatter.format(failed)
    parsed = json.loads(line)
    assert parsed["exception_name"] == "ValueError"
    assert EMAIL not in line
    assert "9876501234" not in line


timestamps = st.floats(0, 4_102_444_800)  # up to 2100
ids = st.uuids().map(str)
trusted_keys = st.fixed_dictionaries(
    {
        "message_id": ids,
        "correlation_id": ids,
        "activity_id": ids | ids.map(lambda guid: "{" + guid.upper() + "}"),
        "outcome": st.sampled_from(["delivered", "rejected", "retry"]),
        "latency_ms": st.floats(0, 1e6),
        "attempts": st.integers(0, 10),
        "http_status": st.none() | st.integers(100, 599),
    }
)


@given(
    created=timestamps,
    extras=trusted_keys,
    request_id=ids,
    account=st.integers(0, 10**12 - 1).map(lambda n: f"{n:012d}"),
    trace=st.tuples(st.integers(0, 2**32 - 1), st.uuids()),
    utc=st.booleans(),
    rfc3339=st.booleans(),
)
def test_lines_keep_their_keys(
    created: float,
    extras: dict[str, Any],
    request_id: str,
    account: str,
    trace: tuple[int, Any],
    utc: bool,
    rfc3339: bool,
) -> None:
    """A line without personal data is Powertools' own line, timestamps and ids unchanged."""
    service = "leadsquared-activity-poster"
    masking = MaskingFormatter(service=service, utc=utc, use_rfc3339=rfc3339)
    plain = LambdaPowertoolsFormatter(service=service, utc=utc, use_rfc3339=rfc3339)
    for formatter in (masking, plain):
        formatter.append_keys(
            cold_start=True,
            function_name="leadsquared-activity-poster",
            function_memory_size="256",
            function_arn=f"arn:aws:lambda:ap-south-1:{account}:function:poster",
            function_request_id=request_id,
        )
    made = record("activity delivered", (), extras)
    made.created, made.msecs = created, float(int(created * 1000) % 1000)
    trace_id = f"1-{trace[0]:08x}-{trace[1].hex[:24]}"

    with mock.patch.dict(os.environ, {"_X_AMZN_TRACE_ID": f"Root={trace_id};Sampled=1"}):
        line = masking.format(made)
        assert line == plain.format(made)
    assert json.loads(line)["xray_trace_id"] == trace_id
