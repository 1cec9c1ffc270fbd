"""Numbers reach LeadSquared as the text they were sent as; NaN and Infinity never do."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activity_poster.models import (
    FieldError,
    InvalidActivity,
    JsonNumber,
    decode_json,
    parse_activity,
)

LEAD_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
# Every JSON number, by the grammar of RFC 8259.
JSON_NUMBER = r"\A-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?\Z"


def body_with_value(value_text: str, **extra: str) -> str:
    """An API or SQS body whose one field has the given JSON value text."""
    head = f'{{"RelatedProspectId":"{LEAD_ID}","ActivityEvent":1,'
    more = "".join(f'"{key}":{text},' for key, text in extra.items())
    return f'{head}{more}"Fields":[{{"SchemaName":"mx_Custom_1","Value":{value_text}}}]}}'


def posted_value(body: str) -> Any:
    (field,) = parse_activity(decode_json(body)).to_leadsquared()["Fields"]
    return field["Value"]


def refused(body: str) -> list[FieldError]:
    with pytest.raises(InvalidActivity) as caught:
        parse_activity(decode_json(body))
    return caught.value.errors


def queued_again(body: str) -> str:
    """The body as the async mode puts it on the queue: decoded, then serialised."""
    return json.dumps(decode_json(body), ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize(
    ("sent", "posted"),
    [
        pytest.param("12345678901234567.89", "12345678901234567.89", id="more-digits-than-float"),
        pytest.param("1E2", "1E2", id="exponent"),
        pytest.param("1e-7", "1e-7", id="small-exponent"),
        pytest.param("2.50", "2.50", id="trailing-zero"),
        pytest.param("-0.0", "-0.0", id="negative-zero"),
        pytest.param("0.1", "0.1", id="not-exact-in-binary"),
        pytest.param("5", "5", id="int"),
        pytest.param("-12", "-12", id="negative-int"),
        # An integer has one text per value but this one: -0 is the integer 0.
        pytest.param("-0", "0", id="negative-zero-int"),
        pytest.param("12345678901234567890123", "12345678901234567890123", id="big-int"),
        pytest.param("true", "true", id="true"),
        pytest.param("false", "false", id="false"),
        pytest.param('"1E2"', "1E2", id="numeric-string"),
    ],
)
def test_a_field_value_is_posted_as_sent(sent: str, posted: str) -> None:
    value = posted_value(body_with_value(sent))
    assert value == posted
    assert type(value) is str


@pytest.mark.parametrize("sent", ["12345678901234567.89", "1E2", "-0.0", "5", "true"])
def test_a_body_serialised_again_posts_the_same_value(sent: str) -> None:
    body = body_with_value(sent)
    again = queued_again(body)
    assert posted_value(again) == posted_value(body)
    assert parse_activity(decode_json(again)).fingerprint() == (
        parse_activity(decode_json(body)).fingerprint()
    )


def test_a_number_with_a_fraction_is_serialised_again_as_a_string_of_its_text() -> None:
    # json.dumps cannot write a number's original text: it writes the same text as a string.
    assert queued_again('{"a":1E2,"b":12345678901234567.89,"c":5,"d":[-0.0]}') == (
        '{"a":"1E2","b":"12345678901234567.89","c":5,"d":["-0.0"]}'
    )


def test_decode_json_keeps_a_number_with_a_fraction_as_its_text() -> None:
    decoded = decode_json("[1.5, 1E2, 3]")
    assert decoded == ["1.5", "1E2", 3]
    assert [type(item) for item in decoded] == [JsonNumber, JsonNumber, int]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(body_with_value("NaN"), "Fields.0.Value", id="nan-value"),
        pytest.param(body_with_value("Infinity"), "Fields.0.Value", id="infinity-value"),
        pytest.param(body_with_value("-Infinity"), "Fields.0.Value", id="negative-infinity"),
        pytest.param(
            '{"RelatedProspectId":"' + LEAD_ID + '","ActivityEvent":1,"ActivityNote":NaN}',
            "ActivityNote",
            id="nan-note",
        ),
        pytest.param("NaN", "(body)", id="nan-alone"),
    ],
)
def test_nan_and_infinity_are_refused_naming_the_field(body: str, field: str) -> None:
    with pytest.raises(InvalidActivity) as caught:
        parse_activity(decode_json(body))
    assert [error.field for error in caught.value.errors] == [field]


@pytest.mark.parametrize("sent", ["1e309", "-1e309", "1" + "0" * 400 + ".0"])
def test_a_number_too_large_to_be_finite_is_refused_naming_the_field(sent: str) -> None:
    assert refused(body_with_value(sent)) == [
        FieldError("Fields.0.Value", "must be a finite number")
    ]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_a_non_finite_float_given_as_an_object_is_refused(value: float) -> None:
    data = {
        "RelatedProspectId": LEAD_ID,
        "ActivityEvent": 1,
        "Fields": [{"SchemaName": "mx_Custom_1", "Value": value}],
    }
    with pytest.raises(InvalidActivity) as caught:
        parse_activity(data)
    assert caught.value.errors == [FieldError("Fields.0.Value", "must be a finite number")]


@pytest.mark.parametrize("sent", ["1E2", "12.0", "1.5", "2e0", "-1.0"])
def test_activity_event_with_a_fraction_or_exponent_is_refused(sent: str) -> None:
    body = f'{{"RelatedProspectId":"{LEAD_ID}","ActivityEvent":{sent}}}'
    assert refused(body) == [
        FieldError("ActivityEvent", "must be a positive integer or a numeric string")
    ]


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("ActivityNote", "ActivityNote"),
        ("ActivityDateTime", "ActivityDateTime"),
        ("IdempotencyKey", "IdempotencyKey"),
        ("FirstName", "FirstName"),
        ("IncludeLeadScore", "IncludeLeadScore"),
        ("Fields", "Fields"),
    ],
)
def test_a_number_is_not_text(key: str, where: str) -> None:
    """A number kept as its text is still refused wherever text is expected, as before."""
    body = f'{{"EmailAddress":"a@example.com","ActivityEvent":1,"{key}":1.5}}'
    (error,) = refused(body)
    assert error.field == where
    assert error.message.startswith("Input should be a valid")


@pytest.mark.parametrize("key", ["RelatedProspectId", "EmailAddress"])
def test_a_number_does_not_name_the_lead(key: str) -> None:
    (error,) = refused(f'{{"{key}":1.5,"ActivityEvent":1}}')
    assert error == FieldError(key, "Input should be a valid string")


def test_a_schema_name_is_not_a_number() -> None:
    body = f'{{"RelatedProspectId":"{LEAD_ID}","ActivityEvent":1,"Fields":[{{"SchemaName":1.5,"Value":1}}]}}'
    assert refused(body) == [FieldError("Fields.0.SchemaName", "Input should be a valid string")]


@settings(max_examples=300, deadline=None)
@given(text=st.from_regex(JSON_NUMBER))
def test_any_json_number_is_posted_as_its_text_or_refused_if_not_finite(text: str) -> None:
    body = body_with_value(text)
    expected = "0" if text == "-0" else text
    if math.isfinite(float(text)):
        assert posted_value(body) == expected
        assert posted_value(queued_again(body)) == expected
    else:
        assert refused(body) == [FieldError("Fields.0.Value", "must be a finite number")]


@settings(max_examples=300, deadline=None)
@given(number=st.floats(allow_nan=False, allow_infinity=False) | st.integers())
def test_a_number_written_by_json_dumps_is_posted_as_json_dumps_wrote_it(
    number: float | int,
) -> None:
    text = json.dumps(number)
    assert posted_value(body_with_value(text)) == text
