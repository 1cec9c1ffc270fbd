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


def field(name: str, data_type: str = "String", **extra: Any) -> dict[str, Any]:
    return {"SchemaName": name, "DisplayName": name, "DataType": data_type, **extra}


def options(*values: str) -> str:
    return json.dumps([{"Text": value, "Value": value} for value in values])


def activity_type(event: Any, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"ActivityEvent": event, "ActivityProperties": json.dumps({"FormMetaData": fields})}


def dropdown(option_set: Any) -> dict[str, Any]:
    return activity_type(212, field("mx_Custom_1", "Dropdown", OptionSet=option_set))


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


def schema(*types: Any) -> AccountSchema:
    parsed = parse_activity_types(json.loads(json.dumps(list(types or (ORDER, WEBINAR)))))
    assert parsed is not None
    return parsed


def order(*fields: tuple[str, str], **extra: Any) -> dict[str, Any]:
    """An order with its mandatory field set (unless `fields` sets it), and `fields`."""
    given = dict([("mx_Custom_1", "ORD-1"), *fields])
    as_fields = [{"SchemaName": name, "Value": value} for name, value in given.items()]
    return {"ActivityEvent": 250, "Fields": as_fields, **extra}


def one(event: int, name: str, value: str) -> dict[str, Any]:
    return {"ActivityEvent": event, "Fields": [{"SchemaName": name, "Value": value}]}


def refused(activity: dict[str, Any], account: AccountSchema | None = None) -> list[str]:
    return [f"{e.field}: {e.message}" for e in refusals(account or schema(), activity)]


MANDATORY = "Fields: mx_Custom_1 (Order Number) is mandatory for activity type 250"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            [("mx_Custom_9", "x")],
            ["Fields.1.SchemaName: mx_Custom_9 is not a field of activity type 250"],
        ),
        (
            [("mx_Custom_3", "Gold")],
            ['Fields.1.Value: "Gold" is not an option of mx_Custom_3 (Silver, Bronze)'],
        ),
        (
            [("mx_Custom_1", "x" * 21)],
            ["Fields.0.Value: is 21 characters, longer than mx_Custom_1 allows (20)"],
        ),
        ([("mx_Custom_1", "x" * 20), ("mx_Custom_2", "12.5"), ("mx_Custom_3", "silver")], []),
        ([("mx_Custom_1", "\U0001f600" * 20)], []),  # 40 UTF-16 units, but 20 characters
        ([("mx_Custom_1", "  ")], [MANDATORY]),  # blank: not given
        ([("Owner", "5b1d7c3e"), ("STATUS", "Placed"), ("MX_custom_5", "1")], []),  # any case
    ],
)
def test_what_the_type_refuses(fields, expected):
    """Status is marked mandatory on the order type, and never required: LeadSquared fills it."""
    assert refused(order(*fields)) == expected


def test_names_match_in_any_case_and_status_and_owner_go_with_every_type():
    assert refused(order() | {"Fields": []}) == [MANDATORY]
    assert refused(order() | one(250, "MX_custom_1", "A")) == []
    assert refused(one(212, "Status", "Attended")) == refused(one(212, "owner", "x")) == []


def test_a_type_the_account_has_not_is_refused_unless_some_type_could_not_be_read():
    assert refusals(schema(), {"ActivityEvent": 999}) == [
        FieldError("ActivityEvent", "999 is not an activity type of this account")
    ]
    partly = schema(ORDER, {"ActivityEventName": "no code"})
    assert refused({"ActivityEvent": 999}, partly) == []
    assert refused(order(("mx_Custom_2", "x")), partly) != []  # the types read still count


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
        assert refused(one(212, "mx_Custom_1", value), account) == [], value
    assert refused(one(212, "mx_Custom_1", "Silver"), account) == [
        'Fields.0.Value: "Silver" is not an option of mx_Custom_1 (gold, 3)'
    ]
    many = schema(dropdown(options(*"ABCDEFG")))
    assert refused(one(212, "mx_Custom_1", "Z"), many)[0].endswith("(A, B, C, D, E and 2 more)")


KINDS = {"mx_Custom_2": "a number", "mx_Custom_4": "a date-time YYYY-MM-DD HH:MM:SS"}
KINDS |= {"mx_Custom_5": "true or false", "mx_Custom_6": "a date YYYY-MM-DD"}
VALUES = {  # per field: the values it takes (a blank one is no value), and those it refuses
    "mx_Custom_2": (
        ["12", "-3.5", "+7", "1,000", "1E2", "2.5e-3", ".5", "5.", " 42 ", "", " "],
        ["abc", "1.2.3", "NaN", "Infinity", "0x10", "1 000", "\u0661\u0662", "e5", ","],
    ),
    "mx_Custom_4": (
        ["2025-06-03 09:41:07", " 2025-06-03 09:41:07 ", ""],
        ["2025-06-03T09:41:07", "2025-06-03T09:41:07Z", "2025-06-03 09:41", "2025-06-03"],
    ),
    "mx_Custom_5": (
        ["true", "False", "TRUE", "yes", "No", "1", "0", " true ", ""],
        ["on", "y", "2", "truthy", "-1"],
    ),
    "mx_Custom_6": (
        ["2025-06-03", "2025-06-03 09:41:07", " "],
        ["2025-13-01", "2025-02-30 10:00:00", "2025-06-03 24:00:00", "03/06/2025 09:41:07"],
    ),
}


@pytest.mark.parametrize(
    ("name", "value", "valid"),
    [(name, value, True) for name, (good, _) in VALUES.items() for value in good]
    + [(name, value, False) for name, (_, bad) in VALUES.items() for value in bad],
)
def test_values_by_the_fields_data_type(name, value, valid):
    expected = [] if valid else [f'Fields.1.Value: "{value}" is not {KINDS[name]} ({name})']
    assert refused(order((name, value))) == expected


def test_an_echoed_value_is_cut_to_64_characters():
    echoed = refused(order(("mx_Custom_2", "9" * 50 + "x" * 100)))[0].split('"')[1]
    assert (len(echoed), echoed[-1]) == (64, "\u2026")


def test_every_problem_is_listed_in_order():
    body = order(("mx_Custom_1", ""), ("mx_Custom_2", "x"), ("mx_Nope", "y"), ("mx_Custom_5", "?"))
    fields = [message.split(":")[0] for message in refused(body)]
    assert fields == ["Fields.1.Value", "Fields.2.SchemaName", "Fields.3.Value", "Fields"]


def test_the_answer_is_read_into_types_and_fields():
    account = schema()
    order_type = account.types[250]
    assert account.complete and order_type.complete
    assert set(order_type.fields) == {f"mx_custom_{n}" for n in range(1, 7)} | {"status"}
    first = order_type.fields["mx_custom_1"]
    assert (first.kind, first.mandatory, first.max_length) == (Kind.TEXT, True, 20)
    assert order_type.fields["mx_custom_3"].options == ("Silver", "Bronze")


@pytest.mark.parametrize(
    ("types", "activity"),
    [
        *(
            ([{"ActivityEvent": 212, "ActivityProperties": properties}], one(212, "any", "x"))
            for properties in (None, "not json", "", json.dumps({"FormMetaData": "x"}), "[1]")
        ),
        *(
            ([dropdown(option_set)], one(212, "mx_Custom_1", "anything"))
            for option_set in ("not json", "", None, '[{"Other": 1}]', "[]", "[5, true]")
        ),
        # A field not read (no SchemaName) may be the one named.
        ([activity_type(212, field("mx_Custom_1"), {"DataType": "String"})], one(212, "x", "1")),
        # A type listed twice: which listing holds is unknown.
        ([WEBINAR, activity_type(212, field("mx_Custom_2", IsMandatory=True))], one(212, "a", "")),
        # A field listed twice: its name is the type's, its value unchecked.
        (
            [activity_type(212, field("mx_Custom_1", "Number"), field("mx_Custom_1"))],
            one(212, "mx_Custom_1", "x"),
        ),
    ],
)
def test_what_cannot_be_read_is_not_checked(types, activity):
    account = schema(*types)
    assert refused(activity, account) == []
    assert refused({"ActivityEvent": 213}, account) != []  # the codes are still read


def test_odd_but_readable_parts_are_read():
    form = [
        {"SchemaName": "mx_Custom_1", "DataType": "NUMBER", "IsMandatory": "true"},
        {"SchemaName": "mx_Custom_2", "MaxLength": "3", "IsMandatory": 1},
        {"SchemaName": "mx_Custom_3", "DataType": "Dropdown", "OptionSet": ["A", "B"]},
        {"SchemaName": "mx_Custom_4", "DataType": "Product", "MaxFieldLength": 0},
        {"SchemaName": "mx_Custom_5", "IsMandatory": "no"},
    ]
    # The code as text, the properties as an object rather than its JSON text.
    account = schema({"ActivityEvent": "212", "ActivityProperties": {"FormMetaData": form}})
    fields = account.types[212].fields
    assert [fields[f"mx_custom_{n}"].mandatory for n in range(1, 6)] == [True, True] + [False] * 3
    assert fields["mx_custom_1"].kind is Kind.NUMBER
    assert fields["mx_custom_2"].max_length == 3
    assert fields["mx_custom_3"].options == ("A", "B")
    assert (fields["mx_custom_4"].kind, fields["mx_custom_4"].max_length) == (Kind.TEXT, None)


def test_fetch_reads_the_types_with_one_get():
    calls = []
    answer = json.dumps([WEBINAR]).encode()
    account = fetch_schema(lambda *call: calls.append(call) or (200, answer))
    assert calls == [("GET", ACTIVITY_TYPES_PATH, None)]
    assert account is not None and set(account.types) == {212}


# No answer, not 200, not JSON, not a list of types (every account has some).
UNREADABLE = [None, (500, b"[]"), (401, b"{}"), (200, b"<html>"), (200, b"\xff"), (200, b"{}")]
UNREADABLE += [(200, b"[]"), (200, b'"[]"'), (200, b"5")]


@pytest.mark.parametrize("answer", UNREADABLE)
def test_fetch_without_a_readable_answer_gives_none(answer):
    assert fetch_schema(lambda method, path, body: answer) is None
