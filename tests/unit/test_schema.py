"""The account's schema read from ActivityTypes.Get, and each refusal rule over it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from activity_poster.leadsquared.schema import (
    ACTIVITY_TYPES_PATH,
    AccountSchema,
    Kind,
    fetch_schema,
    parse_activity_types,
    refusals,
)
from activity_poster.models import FieldError

LEAD_ID = "3f2a9c1e-6b7d-4e8f-a1b2-c3d4e5f60718"


def field(name: str, data_type: str = "String", **extra: Any) -> dict[str, Any]:
    return {"SchemaName": name, "DisplayName": name, "DataType": data_type, **extra}


def options(*values: str) -> str:
    return json.dumps([{"Text": value, "Value": value} for value in values])


def activity_type(event: Any, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    properties = json.dumps({"FormMetaData": list(fields)})
    return {"ActivityEvent": event, "ActivityEventName": f"Type {event}", **extra} | {
        "ActivityProperties": properties
    }


ORDER = activity_type(
    250,
    field("mx_Custom_1", IsMandatory=True, MaxFieldLength=20, DisplayName="Order Number"),
    field("mx_Custom_2", "Number"),
    field("mx_Custom_3", "Dropdown", OptionSet=options("Silver", "Bronze")),
    field("mx_Custom_4", "DateTime"),
    field("mx_Custom_5", "Boolean"),
    field("mx_Custom_6", "Date"),
    field("Status", "Dropdown", IsMandatory=True, OptionSet=options("Placed")),
)
WEBINAR = activity_type(212, field("mx_Custom_1"))


def schema(*types: dict[str, Any]) -> AccountSchema:
    parsed = parse_activity_types(json.loads(json.dumps(list(types or (ORDER, WEBINAR)))))
    assert parsed is not None
    return parsed


def order(*fields: tuple[str, str], **extra: Any) -> dict[str, Any]:
    given = [("mx_Custom_1", "ORD-1"), *fields]
    return {
        "RelatedProspectId": LEAD_ID,
        "ActivityEvent": 250,
        "Fields": [{"SchemaName": name, "Value": value} for name, value in given],
        **extra,
    }


def refused(activity: dict[str, Any], account: AccountSchema | None = None) -> list[str]:
    return [f"{e.field}: {e.message}" for e in refusals(account or schema(), activity)]


# --- the activity type ---------------------------------------------------------------------


def test_an_activity_of_a_type_the_account_has_not_is_refused():
    assert refused({"ActivityEvent": 999}) == [
        "ActivityEvent: 999 is not an activity type of this account"
    ]


def test_an_unknown_type_is_not_refused_when_some_type_could_not_be_read():
    account = schema(ORDER, {"ActivityEventName": "no code"})
    assert refused({"ActivityEvent": 999}, account) == []
    assert refused(order(("mx_Custom_2", "x")), account) != []  # the types read still count


def test_a_valid_activity_passes():
    body = order(
        ("mx_Custom_2", "12.5"),
        ("mx_Custom_3", "Silver"),
        ("mx_Custom_4", "2025-06-03 09:41:07"),
        ("mx_Custom_5", "true"),
        ("mx_Custom_6", "2025-06-03"),
        ("Owner", "5b1d7c3e-2f4a-4e6b-9c8d-0a1b2c3d4e5f"),
    )
    assert refused(body) == []
    assert refusals(schema(), body) == []  # FieldError values, as InvalidActivity takes them


# --- fields --------------------------------------------------------------------------------


def test_a_field_the_type_has_not_is_refused_by_its_position():
    assert refused(order(("mx_Custom_9", "x"))) == [
        "Fields.1.SchemaName: mx_Custom_9 is not a field of activity type 250"
    ]


def test_status_and_owner_are_taken_on_every_type_and_names_match_in_any_case():
    body = {
        "ActivityEvent": 212,
        "Fields": [
            {"SchemaName": "Status", "Value": "Attended"},
            {"SchemaName": "OWNER", "Value": "x"},
            {"SchemaName": "MX_CUSTOM_1", "Value": "x"},
        ],
    }
    assert refused(body) == []


def test_an_unknown_field_is_not_refused_when_a_field_of_its_type_could_not_be_read():
    account = schema(activity_type(212, field("mx_Custom_1"), {"DataType": "String"}))
    assert (
        refused({"ActivityEvent": 212, "Fields": [{"SchemaName": "x", "Value": "1"}]}, account)
        == []
    )


def test_a_mandatory_custom_field_left_out_or_blank_is_refused():
    expected = ["Fields: mx_Custom_1 (Order Number) is mandatory for activity type 250"]
    body = order()
    body["Fields"] = []
    assert refused(body) == expected
    assert refused(order() | {"Fields": [{"SchemaName": "mx_Custom_1", "Value": "  "}]}) == expected
    assert refused(order() | {"Fields": [{"SchemaName": "MX_custom_1", "Value": "A"}]}) == []


def test_a_mandatory_system_field_is_never_required():
    """Status is marked mandatory on the order type: LeadSquared fills it itself."""
    assert refused(order()) == []


# --- dropdowns -----------------------------------------------------------------------------


def test_a_value_that_is_not_an_option_is_refused_naming_the_options():
    body = order(("mx_Custom_2", "1"), ("mx_Custom_3", "Gold"))
    assert refused(body) == [
        'Fields.2.Value: "Gold" is not an option of mx_Custom_3 (Silver, Bronze)'
    ]


def test_validate_drop_down_options_true_skips_the_options():
    """The reference: `ValidateDropDownOptions: true` asks LeadSquared to SKIP the check."""
    body = order(("mx_Custom_3", "Gold"))
    assert refused(body | {"ValidateDropDownOptions": True}) == []
    assert len(refused(body | {"ValidateDropDownOptions": False})) == 1
    assert len(refused(body | {"ValidateDropDownOptions": "true"})) == 1  # only the boolean


def test_an_option_matches_its_text_or_its_value_in_any_case():
    option_set = json.dumps([{"Text": "Gold tier", "Value": "gold"}, {"Value": 3}])
    account = schema(activity_type(212, field("mx_Custom_1", "dropdown", OptionSet=option_set)))
    for value in ("gold", "GOLD", "gold tier", " Gold Tier ", "3"):
        assert refused(_one(212, "mx_Custom_1", value), account) == [], value
    assert refused(_one(212, "mx_Custom_1", "Silver"), account) == [
        'Fields.0.Value: "Silver" is not an option of mx_Custom_1 (gold, 3)'
    ]


def test_a_long_list_of_options_is_cut_short():
    account = schema(
        activity_type(212, field("mx_Custom_1", "Dropdown", OptionSet=options(*"ABCDEFG")))
    )
    (message,) = refused(_one(212, "mx_Custom_1", "Z"), account)
    assert message.endswith("(A, B, C, D, E and 2 more)")


# --- lengths and data types ----------------------------------------------------------------


def test_a_value_longer_than_the_field_allows_is_refused():
    assert refused(order() | {"Fields": [{"SchemaName": "mx_Custom_1", "Value": "x" * 20}]}) == []
    assert refused(order() | {"Fields": [{"SchemaName": "mx_Custom_1", "Value": "x" * 21}]}) == [
        "Fields.0.Value: is 21 characters, longer than mx_Custom_1 allows (20)"
    ]
    emoji = "\U0001f600" * 20  # 20 characters (40 UTF-16 units): counted as 20
    assert refused(order() | {"Fields": [{"SchemaName": "mx_Custom_1", "Value": emoji}]}) == []


@pytest.mark.parametrize(
    "value", ["12", "-3.5", "+7", "1,000", "1E2", "2.5e-3", ".5", "5.", " 42 "]
)
def test_numbers_as_leadsquared_reads_them(value):
    assert refused(order(("mx_Custom_2", value))) == []


@pytest.mark.parametrize(
    "value", ["abc", "1.2.3", "NaN", "Infinity", "0x10", "1 000", "\u0661\u0662", "e5", ","]
)
def test_what_is_not_a_number_is_refused(value):
    (message,) = refused(order(("mx_Custom_2", value)))
    assert message.endswith("is not a number (mx_Custom_2)")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2025-06-03 09:41:07", True),
        (" 2025-06-03 09:41:07 ", True),
        ("2025-06-03T09:41:07", False),
        ("2025-06-03T09:41:07Z", False),
        ("2025-06-03 09:41", False),
        ("2025-06-03", False),
        ("2025-02-30 10:00:00", False),
        ("2025-06-03 24:00:00", False),
        ("03/06/2025 09:41:07", False),
    ],
)
def test_date_times_are_yyyy_mm_dd_hh_mm_ss(value, valid):
    problems = refused(order(("mx_Custom_4", value)))
    assert problems == (
        []
        if valid
        else [f'Fields.1.Value: "{value}" is not a date-time YYYY-MM-DD HH:MM:SS (mx_Custom_4)']
    )


@pytest.mark.parametrize(
    ("value", "valid"),
    [("2025-06-03", True), ("2025-06-03 09:41:07", True), ("2025-13-01", False), ("3 June", False)],
)
def test_a_date_field_takes_a_date_or_a_date_time(value, valid):
    assert (refused(order(("mx_Custom_6", value))) == []) is valid


@pytest.mark.parametrize("value", ["true", "False", "TRUE", "yes", "No", "1", "0", " true "])
def test_booleans_as_leadsquared_takes_them(value):
    assert refused(order(("mx_Custom_5", value))) == []


@pytest.mark.parametrize("value", ["on", "y", "2", "truthy", "-1"])
def test_what_is_not_a_boolean_is_refused(value):
    (message,) = refused(order(("mx_Custom_5", value)))
    assert message.endswith("is not true or false (mx_Custom_5)")


def test_a_blank_value_is_no_value():
    body = order(
        ("mx_Custom_2", ""), ("mx_Custom_3", " "), ("mx_Custom_4", ""), ("mx_Custom_5", "")
    )
    assert refused(body) == []


def test_an_echoed_value_is_cut_to_64_characters():
    (message,) = refused(order(("mx_Custom_2", "9" * 50 + "x" * 100)))
    echoed = message.split('"')[1]
    assert len(echoed) == 64
    assert echoed.endswith("\u2026")


def test_every_problem_is_listed():
    body = order(("mx_Custom_2", "x"), ("mx_Nope", "y"), ("mx_Custom_5", "maybe"))
    body["Fields"][0]["Value"] = ""
    assert [message.split(":")[0] for message in refused(body)] == [
        "Fields.1.Value",
        "Fields.2.SchemaName",
        "Fields.3.Value",
        "Fields",
    ]


# --- reading the answer, tolerantly --------------------------------------------------------


def test_the_answer_is_read_into_types_and_fields():
    account = schema()
    order_type = account.types[250]
    assert account.complete
    assert order_type.complete
    assert set(order_type.fields) == {f"mx_custom_{n}" for n in range(1, 7)} | {"status"}
    first = order_type.fields["mx_custom_1"]
    assert (first.kind, first.mandatory, first.max_length) == (Kind.TEXT, True, 20)
    assert order_type.fields["mx_custom_3"].options == ("Silver", "Bronze")


@pytest.mark.parametrize("document", [None, {}, "[]", [], 5])
def test_an_answer_that_is_not_a_list_of_types_is_unreadable(document):
    assert parse_activity_types(document) is None


def test_a_type_whose_fields_cannot_be_read_is_not_checked():
    for broken in (
        {"ActivityEvent": 212},
        {"ActivityEvent": 212, "ActivityProperties": "not json"},
        {"ActivityEvent": 212, "ActivityProperties": json.dumps({"FormMetaData": "x"})},
        {"ActivityEvent": 212, "ActivityProperties": ""},
    ):
        account = schema(broken)
        assert refused(_one(212, "anything", "x"), account) == [], broken
        assert refused({"ActivityEvent": 213}, account) != []  # the code is still read


def test_odd_but_readable_parts_are_read():
    account = schema(
        {
            "ActivityEvent": "212",
            "ActivityProperties": {  # an object rather than its JSON text
                "FormMetaData": [
                    {"SchemaName": "mx_Custom_1", "DataType": "NUMBER", "IsMandatory": "true"},
                    {"SchemaName": "mx_Custom_2", "MaxLength": "3"},
                    {"SchemaName": "mx_Custom_3", "DataType": "Dropdown", "OptionSet": ["A", "B"]},
                    {"SchemaName": "mx_Custom_4", "DataType": "Product", "MaxFieldLength": 0},
                ]
            },
        }
    )
    fields = account.types[212].fields
    assert fields["mx_custom_1"].kind is Kind.NUMBER
    assert fields["mx_custom_1"].mandatory
    assert fields["mx_custom_2"].max_length == 3
    assert fields["mx_custom_3"].options == ("A", "B")
    assert fields["mx_custom_4"].kind is Kind.TEXT
    assert fields["mx_custom_4"].max_length is None


@pytest.mark.parametrize(
    "option_set", ["not json", "", None, json.dumps([{"Other": 1}]), "[]", "[5, true]"]
)
def test_a_dropdown_whose_options_cannot_be_read_is_not_checked(option_set):
    account = schema(activity_type(212, field("mx_Custom_1", "Dropdown", OptionSet=option_set)))
    assert refused(_one(212, "mx_Custom_1", "anything"), account) == []


def test_a_type_or_field_listed_twice_is_not_checked():
    twice = schema(WEBINAR, activity_type(212, field("mx_Custom_2", "Number", IsMandatory=True)))
    assert refused(_one(212, "mx_Custom_9", "x"), twice) == []
    field_twice = schema(activity_type(212, field("mx_Custom_1", "Number"), field("mx_Custom_1")))
    assert refused(_one(212, "mx_Custom_1", "x"), field_twice) == []
    assert refused(_one(212, "mx_Custom_2", "x"), field_twice) != []


def test_is_mandatory_is_read_only_when_it_says_so():
    for flag, mandatory in (
        (True, True),
        ("True", True),
        (1, True),
        (False, False),
        ("no", False),
        (None, False),
    ):
        account = schema(activity_type(212, field("mx_Custom_1", IsMandatory=flag)))
        assert account.types[212].fields["mx_custom_1"].mandatory is mandatory, flag


def test_fetch_reads_the_types_with_one_get():
    calls = []

    def request(method, path, body):
        calls.append((method, path, body))
        return 200, json.dumps([WEBINAR]).encode()

    account = fetch_schema(request)
    assert account is not None
    assert calls == [("GET", ACTIVITY_TYPES_PATH, None)]
    assert set(account.types) == {212}


@pytest.mark.parametrize(
    "answer", [None, (500, b"[]"), (200, b"<html>"), (200, b"\xff"), (401, b"{}")]
)
def test_fetch_without_a_readable_answer_gives_none(answer):
    assert fetch_schema(lambda method, path, body: answer) is None


def _one(event: int, name: str, value: str) -> dict[str, Any]:
    return {"ActivityEvent": event, "Fields": [{"SchemaName": name, "Value": value}]}


def test_refusals_are_field_errors():
    assert refusals(schema(), {"ActivityEvent": 7}) == [
        FieldError("ActivityEvent", "7 is not an activity type of this account")
    ]
