"""The work one message can cause is bounded, whatever its shape.

Each shape goes through decode_json and parse_activity as a body would: it must be refused
with at most MAX_ERRORS errors and a short message, within generous bounds on peak memory and
time. The bounds are there to catch work that grows with the input, not to benchmark.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable

import pytest

from activity_poster.models import (
    MAX_BODY_BYTES,
    MAX_ERRORS,
    MAX_FIELDS,
    BodyTooLarge,
    FieldError,
    InvalidActivity,
    decode_json,
    parse_activity,
)

LEAD_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
PEAK_BOUND = 32 * 1024 * 1024  # bytes
TIME_BOUND = 2.0  # seconds
MESSAGE_BOUND = 4096  # characters of str(error)


def fill(head: str, piece: str, tail: str, size: int = MAX_BODY_BYTES) -> str:
    """head + piece repeated + tail, as long as fits in `size` UTF-8 bytes."""
    room = size - len((head + tail).encode())
    return head + piece * (room // len(piece.encode())) + tail


def empty_field_entries() -> str:
    return fill('{"Fields":[', "{},", "{}]}")


def duplicate_schema_names() -> str:
    return fill(
        f'{{"RelatedProspectId":"{LEAD_ID}","ActivityEvent":1,"Fields":[',
        '{"SchemaName":"mx_Custom_1","Value":1},',
        '{"SchemaName":"mx_Custom_1","Value":1}]}',
    )


def duplicate_schema_names_within_the_limit() -> str:
    entry = {"SchemaName": "mx_Custom_1" + "x" * 1000, "Value": 1}
    body = {"RelatedProspectId": LEAD_ID, "ActivityEvent": 1, "Fields": [entry] * MAX_FIELDS}
    return json.dumps(body)


def entries_full_of_errors() -> str:
    entry = json.dumps({f"k{i}": None for i in range(60)})
    return (
        json.dumps({"ActivityEvent": 0}).replace("}", ',"Fields":[')
        + ",".join([entry] * MAX_FIELDS)
        + "]}"
    )


def unknown_keys() -> str:
    return json.dumps({f"Unknown{i}": 0 for i in range(10_000)})


def unreadable_keys() -> str:
    # "\ud800" is a lone surrogate: JSON text may escape it, UTF-8 cannot hold it.
    return "{" + ",".join(f'"\\ud800{i}":0' for i in range(10_000)) + "}"


def one_huge_unknown_key() -> str:
    return fill('{"ActivityEvent":1,"', "k", '":0}')


def huge_email_address() -> str:
    # A long domain of dots is where a naive address pattern backtracks quadratically.
    return fill('{"ActivityEvent":1,"EmailAddress":"a@', "a.", '@"}')


def huge_string_values() -> str:
    third = MAX_BODY_BYTES // 3 - 100
    return json.dumps(
        {
            "ActivityEvent": "9" * third,
            "ActivityDateTime": "2025-06-03T09:41:07" + "0" * third,
            "RelatedProspectId": LEAD_ID * (third // len(LEAD_ID)),
        }
    )


def huge_number() -> str:
    # A Value of 1 followed by a quarter of a million zeros: a float literal too large to be
    # finite, converted once to find out.
    return fill(
        f'{{"RelatedProspectId":"{LEAD_ID}","ActivityEvent":1,'
        '"Fields":[{"SchemaName":"mx_Custom_1","Value":1',
        "0",
        ".5}]}",
    )


def huge_integer() -> str:
    return fill('{"ActivityEvent":1', "0", "}")


def deeply_nested_arrays() -> str:
    depth = (MAX_BODY_BYTES - 20) // 2
    return '{"ActivityNote":' + "[" * depth + "]" * depth + "}"


def nested_arrays_that_parse() -> str:
    depth = 500
    return '{"ActivityNote":' + "[" * depth + "]" * depth + ',"ActivityEvent":"x"}'


def just_over_the_limit() -> str:
    body = fill(f'{{"LeadId":"{LEAD_ID}","ActivityEvent":1,"ActivityNote":"', "x", '"}')
    return body.replace("x", "xx", 1)


def just_over_the_limit_in_bytes_not_characters() -> str:
    # Two bytes a character: fewer characters than the limit, one byte too many.
    body = fill(f'{{"LeadId":"{LEAD_ID}","ActivityEvent":1,"ActivityNote":"', "\u00e9", '"}')
    return body.replace('"}', "x" * (MAX_BODY_BYTES + 1 - len(body.encode())) + '"}')


SHAPES: dict[str, Callable[[], str]] = {
    "256-KiB-of-empty-field-entries": empty_field_entries,
    "256-KiB-of-duplicate-schema-names": duplicate_schema_names,
    "200-duplicate-long-schema-names": duplicate_schema_names_within_the_limit,
    "200-entries-of-60-unknown-keys": entries_full_of_errors,
    "10000-unknown-keys": unknown_keys,
    "10000-unreadable-keys": unreadable_keys,
    "one-huge-unknown-key": one_huge_unknown_key,
    "huge-email-address": huge_email_address,
    "huge-string-values": huge_string_values,
    "huge-number": huge_number,
    "huge-integer": huge_integer,
    "deeply-nested-arrays": deeply_nested_arrays,
    "nested-arrays-that-parse": nested_arrays_that_parse,
    "just-over-the-limit": just_over_the_limit,
    "just-over-the-limit-in-bytes": just_over_the_limit_in_bytes_not_characters,
}


def refuse(body: str | bytes) -> InvalidActivity:
    with pytest.raises(InvalidActivity) as caught:
        parse_activity(decode_json(body))
    return caught.value


@pytest.mark.parametrize("build", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("kind", [str, bytes], ids=["text", "bytes"])
def test_a_worst_shape_is_refused_within_bounds(
    build: Callable[[], str], kind: type[str] | type[bytes]
) -> None:
    text = build()
    body: str | bytes = text if kind is str else text.encode("utf-8", "surrogatepass")

    started = time.perf_counter()
    error = refuse(body)
    seconds = time.perf_counter() - started

    tracemalloc.start()
    try:
        refuse(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    message = str(error)
    print(
        f"{build.__name__} ({kind.__name__}, {len(text.encode('utf-8', 'surrogatepass'))} B):"
        f" {seconds * 1000:.1f} ms, peak {peak / 1024 / 1024:.2f} MiB,"
        f" {len(error.errors)} errors + {error.more} more, str {len(message)} chars"
    )
    assert 1 <= len(error.errors) <= MAX_ERRORS
    assert all(isinstance(e, FieldError) for e in error.errors)
    assert isinstance(error, BodyTooLarge) == (
        len(body) > MAX_BODY_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES
    )
    assert len(message) < MESSAGE_BOUND
    assert peak < PEAK_BOUND
    assert seconds < TIME_BOUND


# --- the limits one by one ---------------------------------------------------------------


def test_a_body_at_the_limit_is_read() -> None:
    body = fill(f'{{"LeadId":"{LEAD_ID}","ActivityEvent":1,"ActivityNote":"', "\u00e9", 'x"}')
    assert MAX_BODY_BYTES - 1 <= len(body.encode()) <= MAX_BODY_BYTES
    note = parse_activity(decode_json(body)).ActivityNote
    assert note is not None and note.endswith("x")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("x" * (MAX_BODY_BYTES + 1), id="text"),
        pytest.param(b"x" * (MAX_BODY_BYTES + 1), id="bytes"),
        pytest.param("\u00e9" * (MAX_BODY_BYTES // 2 + 1), id="two-byte-characters"),
        pytest.param("\U0001f600" * (MAX_BODY_BYTES // 4 + 1), id="four-byte-characters"),
        pytest.param("\ud800" * (MAX_BODY_BYTES // 3 + 1), id="lone-surrogates"),
        pytest.param(" " * (MAX_BODY_BYTES + 1), id="blank"),
    ],
)
def test_a_body_over_the_limit_is_refused_unread(body: str | bytes) -> None:
    with pytest.raises(BodyTooLarge) as caught:
        decode_json(body)
    assert caught.value.errors == [FieldError("(body)", f"is larger than {MAX_BODY_BYTES} bytes")]
    assert isinstance(caught.value, InvalidActivity)


def test_too_many_field_entries_is_one_error_on_fields() -> None:
    body = {"RelatedProspectId": LEAD_ID, "ActivityEvent": 0, "Fields": [{}] * (MAX_FIELDS + 1)}
    error = refuse(json.dumps(body))
    assert error.errors == [
        FieldError("Fields", f"at most {MAX_FIELDS} entries"),
        FieldError("ActivityEvent", "must be a positive integer"),
    ]


def test_too_many_field_entries_is_refused_when_all_else_is_valid() -> None:
    entries = [{"SchemaName": f"mx_Custom_{i}", "Value": i} for i in range(MAX_FIELDS + 1)]
    body = {"RelatedProspectId": LEAD_ID, "ActivityEvent": 1, "Fields": entries}
    assert refuse(json.dumps(body)).errors == [
        FieldError("Fields", f"at most {MAX_FIELDS} entries")
    ]


def test_max_fields_entries_are_accepted() -> None:
    entries = [{"SchemaName": f"mx_Custom_{i}", "Value": i} for i in range(MAX_FIELDS)]
    body = {"RelatedProspectId": LEAD_ID, "ActivityEvent": 1, "Fields": entries}
    fields = parse_activity(decode_json(json.dumps(body))).Fields
    assert fields is not None and len(fields) == MAX_FIELDS


def test_errors_past_max_errors_are_counted_not_listed() -> None:
    error = refuse(json.dumps({f"Unknown{i}": 0 for i in range(MAX_ERRORS + 5)}))
    # Two more: ActivityEvent is missing and the lead is not named.
    assert len(error.errors) == MAX_ERRORS
    assert error.more == 7
    assert str(error).endswith(" ... and 7 more")


def test_exactly_max_errors_says_no_more() -> None:
    error = InvalidActivity([FieldError(f"k{i}", "unknown") for i in range(MAX_ERRORS)])
    assert (len(error.errors), error.more) == (MAX_ERRORS, 0)
    assert "more" not in str(error)


def test_a_long_name_is_echoed_cut_short() -> None:
    key = "k" * 10_000
    (error,) = [e for e in refuse(json.dumps(by_id(**{key: 1}))).errors]
    assert error.field.startswith("kkk")
    assert len(error.field) <= 64


def test_a_long_duplicate_schema_name_is_echoed_cut_short() -> None:
    name = "mx_" + "x" * 10_000
    fields = [{"SchemaName": name, "Value": 1}] * 2
    (error,) = refuse(json.dumps(by_id(Fields=fields))).errors
    assert error.field == "Fields"
    assert len(error.message) < 200


def by_id(**extra: object) -> dict[str, object]:
    return {"RelatedProspectId": LEAD_ID, "ActivityEvent": 1, **extra}
