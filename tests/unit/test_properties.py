"""Properties over generated input: date-time conversion, the parser, the classifier."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activity_poster.leadsquared.classify import (
    RATE_LIMIT_EXCEPTION,
    RATE_LIMIT_MESSAGE_PREFIX,
    classify,
)
from activity_poster.models import (
    MAX_ERRORS,
    Activity,
    InvalidActivity,
    decode_json,
    parse_activity,
)
from activity_poster.outcomes import (
    Delivered,
    Misdirected,
    Outcome,
    Rejected,
    Throttled,
    Unauthorized,
    Unavailable,
)

LEAD_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
LEADSQUARED_FORMAT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")
OUTCOME_TYPES = (Delivered, Misdirected, Rejected, Throttled, Unavailable, Unauthorized)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Years 1000..9998 keep both the local time and its UTC instant four-digit and in range.
LOCAL_TIMES = st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30))
OFFSETS = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def iso_text(moment: datetime, style: str) -> str:
    match style:
        case "T":
            return moment.isoformat()
        case "space":
            return moment.isoformat(sep=" ")
        case "seconds":
            return moment.isoformat(timespec="seconds")
        case _:  # "Z" for UTC, the offset otherwise
            text = moment.isoformat(timespec="seconds")
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def posted_datetime(text: str) -> str:
    activity = parse_activity(
        {"RelatedProspectId": LEAD_ID, "ActivityEvent": 1, "ActivityDateTime": text}
    )
    value = activity.to_leadsquared()["ActivityDateTime"]
    assert isinstance(value, str)
    return value


@FAST
@given(
    local=LOCAL_TIMES,
    offset=OFFSETS,
    style=st.sampled_from(["T", "space", "seconds", "Z"]),
)
def test_aware_iso_datetime_becomes_the_same_instant_in_utc(
    local: datetime, offset: timezone, style: str
) -> None:
    moment = local.replace(tzinfo=offset)
    posted = posted_datetime(iso_text(moment, style))
    assert LEADSQUARED_FORMAT.match(posted), posted
    instant = datetime.strptime(posted, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert instant == moment.replace(microsecond=0)


@FAST
@given(moment=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)))
def test_leadsquared_format_is_kept_as_is(moment: datetime) -> None:
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    assert posted_datetime(text) == text


@FAST
@given(local=LOCAL_TIMES)
def test_iso_datetime_without_offset_is_refused(local: datetime) -> None:
    try:
        posted_datetime(local.isoformat())
    except InvalidActivity as error:
        assert [e.field for e in error.errors] == ["ActivityDateTime"]
    else:
        raise AssertionError(f"{local.isoformat()} was accepted without an offset")


KNOWN_KEYS = [
    "RelatedProspectId",
    "LeadId",
    "EmailAddress",
    "FirstName",
    "LastName",
    "Phone",
    "ActivityEvent",
    "ActivityNote",
    "ActivityDateTime",
    "Fields",
    "ProcessFilesAsync",
    "ValidateDropDownOptions",
    "IncludeLeadScore",
    "SchemaName",
    "Value",
]

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from([LEAD_ID, "asha@example.com", "212", "2025-06-03T15:11:07+05:30"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
ACTIVITY_LIKE = st.dictionaries(
    st.sampled_from(KNOWN_KEYS) | st.text(max_size=8), JSON_VALUES, max_size=8
)


def check_parse(data: Any) -> None:
    try:
        activity = parse_activity(data)
    except InvalidActivity as error:
        assert error.errors
        for item in error.errors:
            assert isinstance(item.field, str)
            assert item.field
            assert isinstance(item.message, str)
            assert item.message
    else:
        assert isinstance(activity, Activity)
        # What is posted is itself a valid activity, and the same one.
        assert parse_activity(activity.to_leadsquared()) == activity


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=JSON_VALUES | ACTIVITY_LIKE)
def test_parse_activity_either_parses_or_names_fields(data: Any) -> None:
    check_parse(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=JSON_VALUES | ACTIVITY_LIKE)
def test_a_json_body_either_parses_or_names_at_most_max_errors(data: Any) -> None:
    """The same through decode_json, as a body arrives: numbers as their text, NaN refused."""
    try:
        activity = parse_activity(decode_json(json.dumps(data)))
    except InvalidActivity as error:
        assert 1 <= len(error.errors) <= MAX_ERRORS
        assert error.more >= 0
    else:
        for field in activity.to_leadsquared().get("Fields", []):
            assert type(field["Value"]) is str
        again = decode_json(json.dumps(activity.to_leadsquared()))
        assert parse_activity(again) == activity


@FAST
@given(
    lead=st.sampled_from(
        [{"RelatedProspectId": LEAD_ID}, {"LeadId": LEAD_ID}, {"EmailAddress": "a@example.com"}]
    ),
    event=st.integers(min_value=1, max_value=10**6) | st.integers(1, 10**6).map(str),
    extra=st.dictionaries(st.sampled_from(KNOWN_KEYS[6:]), JSON_VALUES, max_size=4),
)
def test_parse_activity_on_nearly_valid_bodies(
    lead: dict[str, Any], event: int | str, extra: dict[str, Any]
) -> None:
    check_parse({**lead, "ActivityEvent": event, **extra})


EXCEPTION_TYPES = st.sampled_from(
    [
        RATE_LIMIT_EXCEPTION,
        "MXInvalidInputException",
        "MXInvalidUserDetailsException",
        "MXInvalidEntityException",
        "System.Exception",
        "",
    ]
)
LEADSQUARED_BODIES = st.builds(
    lambda status, exception_type, message, extra: json.dumps(
        {"Status": status, "ExceptionType": exception_type, "ExceptionMessage": message, **extra}
    ).encode(),
    st.sampled_from(["Success", "Error", None, 1]),
    EXCEPTION_TYPES | st.none() | st.integers(),
    st.text(max_size=40) | st.just(RATE_LIMIT_MESSAGE_PREFIX + " of 25") | st.none(),
    st.dictionaries(st.sampled_from(["Message", "Id"]), JSON_VALUES, max_size=2),
)
BODIES = (
    st.binary(max_size=200)
    | LEADSQUARED_BODIES
    | JSON_VALUES.map(lambda value: json.dumps(value).encode())
)


@settings(max_examples=200, deadline=None)
@given(status=st.integers(min_value=100, max_value=599), body=BODIES)
def test_classify_always_returns_one_outcome(status: int, body: bytes) -> None:
    outcome = classify(status, body)
    assert isinstance(outcome, OUTCOME_TYPES)
    assert isinstance(outcome, Outcome)


@FAST
@given(status=st.integers(min_value=100, max_value=599), message=st.text(max_size=40))
def test_rate_limit_type_is_throttled_at_any_status(status: int, message: str) -> None:
    body = json.dumps(
        {"Status": "Error", "ExceptionType": RATE_LIMIT_EXCEPTION, "ExceptionMessage": message}
    ).encode()
    assert isinstance(classify(status, body), Throttled)


@FAST
@given(
    status=st.integers(min_value=100, max_value=599).filter(lambda s: s != 401),
    exception_type=st.from_regex(r"\AMX[A-Za-z]{1,30}Exception\Z").filter(
        lambda t: t != RATE_LIMIT_EXCEPTION
    ),
    message=st.text(max_size=40).filter(lambda m: not m.startswith(RATE_LIMIT_MESSAGE_PREFIX)),
)
def test_mx_exception_is_rejected_except_401(
    status: int, exception_type: str, message: str
) -> None:
    body = json.dumps(
        {"Status": "Error", "ExceptionType": exception_type, "ExceptionMessage": message}
    ).encode()
    outcome = classify(status, body)
    assert isinstance(outcome, Rejected)
    assert outcome.error_type == exception_type
    assert outcome.http_status == status
