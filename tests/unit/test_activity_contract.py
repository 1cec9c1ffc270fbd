"""The input contract: one JSON object per activity, in LeadSquared's field names."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from activity_poster.adapters.sqs_records import unwrap_sns
from activity_poster.models import (
    Activity,
    FieldError,
    InvalidActivity,
    decode_json,
    parse_activity,
)
from activity_poster.models.activity import (
    NEW_LEAD_FIELDS,
    NEW_LEAD_FIELDS_MESSAGE,
    ONE_LEAD_MESSAGE,
    lead_identity_violations,
)

LEAD_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
OTHER_LEAD_ID = "11111111-2222-3333-4444-555555555555"
EMAIL = "asha.rao@example.com"


def by_id(**extra: Any) -> dict[str, Any]:
    return {"RelatedProspectId": LEAD_ID, "ActivityEvent": 212, **extra}


def by_email(**extra: Any) -> dict[str, Any]:
    return {"EmailAddress": EMAIL, "ActivityEvent": 212, **extra}


def errors_of(data: Any) -> list[FieldError]:
    with pytest.raises(InvalidActivity) as caught:
        parse_activity(data)
    assert caught.value.errors, "InvalidActivity must name at least one field"
    return caught.value.errors


def fields_of(data: Any) -> list[str]:
    return [error.field for error in errors_of(data)]


# --- the lead --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            by_id(),
            {"RelatedProspectId": LEAD_ID, "ActivityEvent": 212},
            id="related-prospect-id",
        ),
        pytest.param(
            {"LeadId": LEAD_ID, "ActivityEvent": 212},
            {"RelatedProspectId": LEAD_ID, "ActivityEvent": 212},
            id="lead-id-alias-becomes-related-prospect-id",
        ),
        pytest.param(
            by_id(RelatedProspectId=LEAD_ID.upper()),
            {"RelatedProspectId": LEAD_ID.upper(), "ActivityEvent": 212},
            id="upper-case-guid",
        ),
        pytest.param(
            by_email(),
            {"EmailAddress": EMAIL, "ActivityEvent": 212},
            id="email-only",
        ),
        pytest.param(
            by_email(FirstName="Asha", LastName="Rao", Phone="+91-9876543210"),
            {
                "EmailAddress": EMAIL,
                "FirstName": "Asha",
                "LastName": "Rao",
                "Phone": "+91-9876543210",
                "ActivityEvent": 212,
            },
            id="email-with-new-lead-fields",
        ),
    ],
)
def test_lead_named_once_is_accepted(data: dict[str, Any], expected: dict[str, Any]) -> None:
    assert parse_activity(data).to_leadsquared() == expected


def test_lead_id_alias_is_not_posted_under_its_own_name() -> None:
    posted = parse_activity({"LeadId": LEAD_ID, "ActivityEvent": 1}).to_leadsquared()
    assert "LeadId" not in posted
    assert posted["RelatedProspectId"] == LEAD_ID


@pytest.mark.parametrize(
    ("data", "fields", "words"),
    [
        pytest.param({"ActivityEvent": 212}, ["RelatedProspectId"], "exactly one", id="neither"),
        pytest.param(
            by_id(EmailAddress=EMAIL), ["RelatedProspectId"], "exactly one", id="id-and-email"
        ),
        pytest.param(
            by_email(LeadId=LEAD_ID), ["RelatedProspectId"], "exactly one", id="lead-id-and-email"
        ),
        pytest.param(
            {"RelatedProspectId": LEAD_ID, "LeadId": OTHER_LEAD_ID, "ActivityEvent": 212},
            ["LeadId"],
            "not both",
            id="lead-id-and-related-prospect-id",
        ),
        pytest.param(
            {"RelatedProspectId": LEAD_ID, "LeadId": LEAD_ID, "ActivityEvent": 212},
            ["LeadId"],
            "not both",
            id="lead-id-and-related-prospect-id-same-value",
        ),
        pytest.param(
            by_id(RelatedProspectId="lead-42"), ["RelatedProspectId"], "GUID", id="id-not-a-guid"
        ),
        pytest.param(
            by_id(RelatedProspectId=LEAD_ID.replace("-", "")),
            ["RelatedProspectId"],
            "GUID",
            id="guid-without-dashes",
        ),
        pytest.param(
            by_id(RelatedProspectId=LEAD_ID + "0"),
            ["RelatedProspectId"],
            "GUID",
            id="guid-one-digit-too-long",
        ),
        pytest.param(
            {"LeadId": "42", "ActivityEvent": 212}, ["LeadId"], "GUID", id="lead-id-not-a-guid"
        ),
        pytest.param(
            by_email(EmailAddress="asha.example.com"),
            ["EmailAddress"],
            "email",
            id="email-without-at",
        ),
        pytest.param(
            by_email(EmailAddress="asha rao@example.com"),
            ["EmailAddress"],
            "email",
            id="email-with-space",
        ),
        pytest.param(
            by_email(EmailAddress="Asha Rao"), ["EmailAddress"], "email", id="name-in-email-field"
        ),
        pytest.param(
            by_id(FirstName="Asha"), ["FirstName"], "EmailAddress", id="first-name-with-id"
        ),
        pytest.param(by_id(LastName="Rao"), ["LastName"], "EmailAddress", id="last-name-with-id"),
        pytest.param(
            {"LeadId": LEAD_ID, "ActivityEvent": 212, "Phone": "+91-9876543210"},
            ["Phone"],
            "EmailAddress",
            id="phone-with-lead-id",
        ),
    ],
)
def test_lead_identity_errors(data: dict[str, Any], fields: list[str], words: str) -> None:
    errors = errors_of(data)
    assert [error.field for error in errors] == fields
    assert words in errors[0].message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param({"RelatedProspectId": LEAD_ID}, [], id="id"),
        pytest.param({"LeadId": LEAD_ID}, [], id="alias"),
        pytest.param({"EmailAddress": EMAIL, "FirstName": "Asha", "Phone": "1"}, [], id="email"),
        pytest.param({}, [("RelatedProspectId", ONE_LEAD_MESSAGE)], id="neither"),
        pytest.param(
            {"RelatedProspectId": None, "EmailAddress": None},
            [("RelatedProspectId", ONE_LEAD_MESSAGE)],
            id="none-is-not-given",
        ),
        pytest.param(
            {"LeadId": LEAD_ID, "EmailAddress": EMAIL, "FirstName": "Asha"},
            [("RelatedProspectId", ONE_LEAD_MESSAGE)],
            id="both",
        ),
        pytest.param(
            {"FirstName": "Asha"}, [("RelatedProspectId", ONE_LEAD_MESSAGE)], id="only-new-lead"
        ),
        pytest.param(
            {"RelatedProspectId": LEAD_ID, "Phone": "1", "FirstName": "Asha"},
            [("FirstName", NEW_LEAD_FIELDS_MESSAGE), ("Phone", NEW_LEAD_FIELDS_MESSAGE)],
            id="new-lead-fields-with-id-in-a-set-order",
        ),
    ],
)
def test_lead_identity_violations(given: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert lead_identity_violations(given) == expected


@pytest.mark.parametrize(
    ("id_key", "email", "new_lead_fields"),
    [
        (id_key, email, names)
        for id_key in (None, "RelatedProspectId", "LeadId")
        for email in (False, True)
        for size in range(len(NEW_LEAD_FIELDS) + 1)
        for names in itertools.combinations(NEW_LEAD_FIELDS, size)
    ],
)
def test_the_model_and_the_raw_keys_apply_one_lead_rule(
    id_key: str | None, email: bool, new_lead_fields: tuple[str, ...]
) -> None:
    data: dict[str, Any] = {"ActivityEvent": 212, **dict.fromkeys(new_lead_fields, "x")}
    if id_key:
        data[id_key] = LEAD_ID
    if email:
        data["EmailAddress"] = EMAIL
    expected = [FieldError(field, message) for field, message in lead_identity_violations(data)]
    if expected:
        assert errors_of(data) == expected
        # Another error first: the model never reaches the rule, the raw keys still do.
        assert errors_of({**data, "ActivityEvent": 0})[1:] == expected
    else:
        assert isinstance(parse_activity(data), Activity)


# --- ActivityEvent ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "posted"),
    [
        pytest.param(212, 212, id="int"),
        pytest.param(1, 1, id="one"),
        pytest.param("212", 212, id="numeric-string"),
        pytest.param(" 7 ", 7, id="numeric-string-with-spaces"),
        pytest.param("0212", 212, id="leading-zero"),
    ],
)
def test_activity_event_is_posted_as_an_int(given: Any, posted: int) -> None:
    value = parse_activity(by_id(ActivityEvent=given)).to_leadsquared()["ActivityEvent"]
    assert value == posted
    assert type(value) is int


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(0, id="zero"),
        pytest.param(-3, id="negative"),
        pytest.param("0", id="zero-string"),
        pytest.param("-3", id="negative-string"),
        pytest.param(True, id="true"),
        pytest.param(False, id="false"),
        pytest.param(1.5, id="float"),
        pytest.param(212.0, id="whole-float"),
        pytest.param("1.5", id="float-string"),
        pytest.param("abc", id="text"),
        pytest.param("", id="empty-string"),
        pytest.param(None, id="null"),
        pytest.param([212], id="list"),
        pytest.param({"Code": 212}, id="object"),
    ],
)
def test_activity_event_must_be_a_positive_integer(given: Any) -> None:
    assert fields_of(by_id(ActivityEvent=given)) == ["ActivityEvent"]


def test_missing_activity_event_is_named() -> None:
    errors = errors_of({"RelatedProspectId": LEAD_ID})
    assert errors == [FieldError("ActivityEvent", "is required")]


# --- plain fields and strict booleans --------------------------------------------------


def test_activity_note_is_kept() -> None:
    note = "Called about the renewal; follow up Tuesday."
    assert parse_activity(by_id(ActivityNote=note)).to_leadsquared()["ActivityNote"] == note


@pytest.mark.parametrize("given", [pytest.param(42, id="number"), pytest.param(["a"], id="list")])
def test_activity_note_must_be_text(given: Any) -> None:
    assert fields_of(by_id(ActivityNote=given)) == ["ActivityNote"]


BOOLEAN_FIELDS = ["ProcessFilesAsync", "ValidateDropDownOptions", "IncludeLeadScore"]


@pytest.mark.parametrize("name", BOOLEAN_FIELDS)
@pytest.mark.parametrize("value", [True, False], ids=["true", "false"])
def test_boolean_flags_accept_json_booleans(name: str, value: bool) -> None:
    posted = parse_activity(by_id(**{name: value})).to_leadsquared()
    assert posted[name] is value


@pytest.mark.parametrize("name", BOOLEAN_FIELDS)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("true", id="string-true"),
        pytest.param("false", id="string-false"),
        pytest.param(1, id="one"),
        pytest.param(0, id="zero"),
        pytest.param("yes", id="yes"),
    ],
)
def test_boolean_flags_are_strict(name: str, value: Any) -> None:
    assert fields_of(by_id(**{name: value})) == [name]


# --- ActivityDateTime ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "posted"),
    [
        pytest.param("2025-06-03 09:41:07", "2025-06-03 09:41:07", id="leadsquared-format-kept"),
        pytest.param("2025-06-03T15:11:07+05:30", "2025-06-03 09:41:07", id="india-offset"),
        pytest.param("2025-12-31T23:30:00-01:00", "2026-01-01 00:30:00", id="crosses-new-year"),
        pytest.param("2025-06-03T09:41:07Z", "2025-06-03 09:41:07", id="zulu"),
        pytest.param("2025-06-03T09:41:07+00:00", "2025-06-03 09:41:07", id="zero-offset"),
        pytest.param("2025-06-03 15:11:07+05:30", "2025-06-03 09:41:07", id="space-separator"),
        pytest.param("2024-02-29T23:59:59-00:30", "2024-03-01 00:29:59", id="after-leap-day"),
        pytest.param("2025-03-01T02:00:00+05:45", "2025-02-28 20:15:00", id="back-over-month"),
        pytest.param("2025-06-03T09:41:07.750Z", "2025-06-03 09:41:07", id="fraction-dropped"),
    ],
)
def test_activity_datetime_is_posted_in_utc(given: str, posted: str) -> None:
    activity = parse_activity(by_id(ActivityDateTime=given))
    assert activity.to_leadsquared()["ActivityDateTime"] == posted


@pytest.mark.parametrize(
    ("given", "words"),
    [
        pytest.param("2025-06-03T09:41:07", "ambiguous", id="iso-without-offset"),
        pytest.param("2025-06-03", "ambiguous", id="date-only"),
        pytest.param("2025-02-30 10:00:00", "real date", id="february-30"),
        pytest.param("2025-06-03 24:00:00", "real date", id="hour-24"),
        pytest.param("2025-13-01T00:00:00Z", "ISO 8601", id="month-13"),
        pytest.param("2025-02-30T10:00:00+05:30", "ISO 8601", id="iso-february-30"),
        pytest.param("yesterday", "ISO 8601", id="garbage"),
        pytest.param("03/06/2025 09:41", "ISO 8601", id="local-format"),
        pytest.param("", "ISO 8601", id="empty"),
        # Digits of another script are digits to a regular expression, not to LeadSquared.
        pytest.param("\u0662\u0660\u0662\u0665-06-03 09:41:07", "ISO 8601", id="arabic-digits"),
    ],
)
def test_activity_datetime_refused(given: str, words: str) -> None:
    errors = errors_of(by_id(ActivityDateTime=given))
    assert [error.field for error in errors] == ["ActivityDateTime"]
    assert words in errors[0].message


def test_activity_datetime_must_be_text() -> None:
    assert fields_of(by_id(ActivityDateTime=1748943667)) == ["ActivityDateTime"]


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("0001-01-01T00:30:00+01:00", id="before-year-1-in-utc"),
        pytest.param("9999-12-31T23:30:00-01:00", id="after-year-9999-in-utc"),
    ],
)
def test_activity_datetime_out_of_range_is_an_invalid_activity(given: str) -> None:
    assert fields_of(by_id(ActivityDateTime=given)) == ["ActivityDateTime"]


def test_activity_datetime_before_year_1000_keeps_four_digit_year() -> None:
    activity = parse_activity(by_id(ActivityDateTime="0999-06-01T00:00:00Z"))
    assert activity.to_leadsquared()["ActivityDateTime"] == "0999-06-01 00:00:00"


# --- Fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "posted"),
    [
        pytest.param("Gold", "Gold", id="string"),
        pytest.param(3, "3", id="int"),
        pytest.param(0, "0", id="zero"),
        pytest.param(-12, "-12", id="negative-int"),
        pytest.param(2.5, "2.5", id="float"),
        pytest.param(True, "true", id="true"),
        pytest.param(False, "false", id="false"),
    ],
)
def test_field_values_are_posted_as_strings(value: Any, posted: str) -> None:
    activity = parse_activity(by_id(Fields=[{"SchemaName": "mx_Custom_1", "Value": value}]))
    assert activity.to_leadsquared()["Fields"] == [{"SchemaName": "mx_Custom_1", "Value": posted}]


def test_fields_keep_their_order() -> None:
    fields = [
        {"SchemaName": "mx_Custom_2", "Value": 7},
        {"SchemaName": "Status", "Value": "Active"},
        {"SchemaName": "mx_Custom_1", "Value": False},
    ]
    assert parse_activity(by_id(Fields=fields)).to_leadsquared()["Fields"] == [
        {"SchemaName": "mx_Custom_2", "Value": "7"},
        {"SchemaName": "Status", "Value": "Active"},
        {"SchemaName": "mx_Custom_1", "Value": "false"},
    ]


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        pytest.param([{"SchemaName": "mx_Custom_1", "Value": None}], "Fields.0.Value", id="null"),
        pytest.param([{"SchemaName": "mx_Custom_1", "Value": [1]}], "Fields.0.Value", id="list"),
        pytest.param(
            [{"SchemaName": "mx_Custom_1", "Value": {"a": 1}}], "Fields.0.Value", id="object"
        ),
        pytest.param([{"SchemaName": "mx_Custom_1"}], "Fields.0.Value", id="value-missing"),
        pytest.param([{"Value": "x"}], "Fields.0.SchemaName", id="schema-name-missing"),
        pytest.param([{"SchemaName": "", "Value": "x"}], "Fields.0.SchemaName", id="empty-name"),
        pytest.param([{"SchemaName": "   ", "Value": "x"}], "Fields.0.SchemaName", id="blank-name"),
        pytest.param([{"SchemaName": 7, "Value": "x"}], "Fields.0.SchemaName", id="name-not-text"),
        pytest.param(
            [{"SchemaName": "mx_Custom_1", "Value": "x", "Name": "y"}],
            "Fields.0.Name",
            id="extra-key-in-item",
        ),
        pytest.param(
            [{"SchemaName": "a", "Value": "x"}, {"SchemaName": "b", "Value": None}],
            "Fields.1.Value",
            id="second-item-indexed",
        ),
        pytest.param(
            [
                {"SchemaName": "mx_Custom_1", "Value": "x"},
                {"SchemaName": "mx_Custom_1", "Value": 2},
            ],
            "Fields",
            id="duplicate-name",
        ),
        pytest.param(
            [{"SchemaName": "Status", "Value": "x"}, {"SchemaName": " Status ", "Value": "y"}],
            "Fields",
            id="duplicate-after-trimming",
        ),
        pytest.param(["mx_Custom_1"], "Fields.0", id="item-not-an-object"),
        pytest.param({"SchemaName": "mx_Custom_1", "Value": "x"}, "Fields", id="not-a-list"),
    ],
)
def test_fields_refused(fields: Any, where: str) -> None:
    assert fields_of(by_id(Fields=fields)) == [where]


def test_duplicate_field_error_names_the_schema_name() -> None:
    fields = [{"SchemaName": "mx_Custom_9", "Value": 1}, {"SchemaName": "mx_Custom_9", "Value": 2}]
    (error,) = errors_of(by_id(Fields=fields))
    assert "mx_Custom_9" in error.message


# --- unknown keys ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("ActivityNotes", id="plural-typo"),
        pytest.param("activityNote", id="wrong-case"),
        pytest.param("leadId", id="alias-wrong-case"),
        pytest.param("ProspectID", id="other-product-name"),
        pytest.param("mx_Custom_1", id="field-at-top-level"),
    ],
)
def test_unknown_key_is_named(key: str) -> None:
    errors = errors_of(by_id(**{key: "x"}))
    assert [error.field for error in errors] == [key]
    assert "unknown" in errors[0].message


# --- several problems at once, non-objects ---------------------------------------------


def test_every_problem_is_listed() -> None:
    data = {
        "EmailAddress": "not-an-email",
        "ActivityEvent": 0,
        "ActivityNotes": "typo",
        "IncludeLeadScore": "true",
        "ActivityDateTime": "2025-06-03T09:41:07",
        "Fields": [{"SchemaName": "mx_Custom_1", "Value": None}],
    }
    assert set(fields_of(data)) == {
        "EmailAddress",
        "ActivityEvent",
        "ActivityNotes",
        "IncludeLeadScore",
        "ActivityDateTime",
        "Fields.0.Value",
    }


def test_missing_lead_is_listed_with_other_problems() -> None:
    fields = fields_of({"ActivityEvent": "abc", "ActivityNotes": "typo"})
    assert set(fields) == {"RelatedProspectId", "ActivityEvent", "ActivityNotes"}


def test_new_lead_fields_with_id_are_listed_with_other_problems() -> None:
    fields = fields_of(by_id(ActivityEvent=-1, FirstName="Asha", Phone="123"))
    assert set(fields) == {"ActivityEvent", "FirstName", "Phone"}


def test_each_problem_is_listed_once() -> None:
    fields = fields_of({"EmailAddress": EMAIL, "RelatedProspectId": LEAD_ID, "ActivityEvent": 0})
    assert sorted(fields) == ["ActivityEvent", "RelatedProspectId"]


def test_invalid_activity_message_names_every_field() -> None:
    with pytest.raises(InvalidActivity) as caught:
        parse_activity({"ActivityEvent": 0, "ActivityNotes": "x", "EmailAddress": EMAIL})
    text = str(caught.value)
    assert "ActivityEvent: " in text
    assert "ActivityNotes: " in text


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([by_id()], id="list"),
        pytest.param(json.dumps(by_id()), id="json-text"),
        pytest.param(None, id="null"),
        pytest.param(212, id="number"),
        pytest.param(True, id="boolean"),
    ],
)
def test_non_object_is_a_body_error(data: Any) -> None:
    assert errors_of(data) == [FieldError("(body)", "must be a JSON object")]


def test_field_error_as_dict() -> None:
    assert FieldError("ActivityEvent", "is required").as_dict() == {
        "field": "ActivityEvent",
        "message": "is required",
    }


# --- decode_json -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('{"ActivityEvent": 212}', {"ActivityEvent": 212}, id="object-text"),
        pytest.param(b'{"ActivityEvent": 212}', {"ActivityEvent": 212}, id="object-bytes"),
        pytest.param('{"Note": "caf\\u00e9"}', {"Note": "café"}, id="unicode-escape"),
        pytest.param("[1, 2]", [1, 2], id="array"),
        pytest.param('"text"', "text", id="string"),
    ],
)
def test_decode_json_decodes(text: str | bytes, expected: Any) -> None:
    assert decode_json(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("", "is empty", id="empty"),
        pytest.param("  \n", "is empty", id="blank"),
        pytest.param(b"", "is empty", id="empty-bytes"),
        pytest.param(None, "is empty", id="none"),
        pytest.param("not json", "is not valid JSON", id="text"),
        pytest.param('{"ActivityEvent": 212', "is not valid JSON", id="truncated"),
        pytest.param("{'ActivityEvent': 212}", "is not valid JSON", id="single-quotes"),
        pytest.param(b"\xff\xfe\xfa", "is not valid JSON", id="not-utf8"),
    ],
)
def test_decode_json_refuses_with_body_field(text: str | bytes | None, words: str) -> None:
    with pytest.raises(InvalidActivity) as caught:
        decode_json(text)
    (error,) = caught.value.errors
    assert error.field == "(body)"
    assert error.message.startswith(words)


def test_decode_json_deeply_nested_is_an_invalid_activity() -> None:
    with pytest.raises(InvalidActivity) as caught:
        decode_json("[" * 100_000)
    assert caught.value.errors[0].field == "(body)"


# --- to_leadsquared --------------------------------------------------------------------


def test_to_leadsquared_full_body() -> None:
    data = {
        "LeadId": LEAD_ID,
        "ActivityEvent": "212",
        "ActivityNote": "Demo booked",
        "ActivityDateTime": "2025-06-03T15:11:07+05:30",
        "Fields": [{"SchemaName": "mx_Custom_1", "Value": 3}],
        "ProcessFilesAsync": True,
        "ValidateDropDownOptions": False,
        "IncludeLeadScore": True,
    }
    assert parse_activity(data).to_leadsquared() == {
        "RelatedProspectId": LEAD_ID,
        "ActivityEvent": 212,
        "ActivityNote": "Demo booked",
        "ActivityDateTime": "2025-06-03 09:41:07",
        "Fields": [{"SchemaName": "mx_Custom_1", "Value": "3"}],
        "ProcessFilesAsync": True,
        "ValidateDropDownOptions": False,
        "IncludeLeadScore": True,
    }


def test_to_leadsquared_leaves_out_null_values() -> None:
    data = by_id(ActivityNote=None, ActivityDateTime=None, Fields=None, IncludeLeadScore=None)
    assert parse_activity(data).to_leadsquared() == {
        "RelatedProspectId": LEAD_ID,
        "ActivityEvent": 212,
    }


def test_posted_body_parses_back_to_the_same_activity() -> None:
    activity = parse_activity(
        by_email(
            FirstName="Asha",
            ActivityDateTime="2025-12-31T23:30:00-01:00",
            Fields=[{"SchemaName": "mx_Custom_1", "Value": 2.5}],
        )
    )
    again = parse_activity(activity.to_leadsquared())
    assert isinstance(again, Activity)
    assert again == activity


# --- SNS envelopes in SQS bodies -------------------------------------------------------


def sns_envelope(message: Any) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": "5f1c5a0e-0000-4000-8000-000000000001",
        "TopicArn": "arn:aws:sns:ap-south-1:123456789012:activities",
        "Message": message,
        "Timestamp": "2025-06-03T09:41:07.000Z",
    }


def test_unwrap_sns_returns_the_decoded_message() -> None:
    assert unwrap_sns(sns_envelope(json.dumps(by_id()))) == by_id()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(by_id(), id="plain-activity"),
        pytest.param({"Type": "Notification", "Message": json.dumps(by_id())}, id="no-topic-arn"),
        pytest.param(sns_envelope(by_id()), id="message-not-a-string"),
        pytest.param(
            {**sns_envelope(json.dumps(by_id())), "Type": "SubscriptionConfirmation"},
            id="other-sns-type",
        ),
        pytest.param([sns_envelope(json.dumps(by_id()))], id="list"),
        pytest.param("text", id="string"),
        pytest.param(None, id="null"),
    ],
)
def test_unwrap_sns_passes_other_values_through(data: Any) -> None:
    assert unwrap_sns(data) is data


@pytest.mark.parametrize(
    ("message", "words"),
    [
        pytest.param("not json", "is not valid JSON", id="not-json"),
        pytest.param("", "is empty", id="empty"),
    ],
)
def test_unwrap_sns_refuses_a_message_that_is_not_json(message: str, words: str) -> None:
    with pytest.raises(InvalidActivity) as caught:
        unwrap_sns(sns_envelope(message))
    (error,) = caught.value.errors
    assert error.field == "(body)"
    assert error.message.startswith(words)


def test_the_activity_owner_must_be_an_email() -> None:
    from activity_poster.models import InvalidActivity, parse_activity

    body = {"RelatedProspectId": LEAD_ID, "ActivityEvent": 212, "ActivityOwnerEmail": "Asha"}
    try:
        parse_activity(body)
    except InvalidActivity as error:
        assert [e.field for e in error.errors] == ["ActivityOwnerEmail"]
    else:
        raise AssertionError("an owner that is not an email was accepted")
    good = parse_activity({**body, "ActivityOwnerEmail": "owner.one@example.com"})
    assert good.to_leadsquared()["ActivityOwnerEmail"] == "owner.one@example.com"
