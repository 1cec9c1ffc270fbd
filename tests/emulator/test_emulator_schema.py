"""The tenant's activity types: ActivityTypes.Get, what Create and bulk rows refuse for them,
and the lead lookup by phone."""

import json

import pytest

from leadsquared_emulator import (
    DEFAULT_ACTIVITY_TYPES,
    ORDER_EVENT,
    PRIMARY_LEAD_ID,
    SECONDARY_LEAD_ID,
    WEBINAR_EVENT,
    ActivityTypeSpec,
    FieldSpec,
)

TYPES_PATH = "/v2/ProspectActivity.svc/ActivityTypes.Get"
PHONE_PATH = "/v2/LeadManagement.svc/RetrieveLeadByPhoneNumber"


def order(*fields, **extra):
    given = [("mx_Custom_1", "ORD-1"), *fields]
    return {
        "RelatedProspectId": PRIMARY_LEAD_ID,
        "ActivityEvent": ORDER_EVENT,
        "Fields": [{"SchemaName": name, "Value": value} for name, value in given],
        **extra,
    }


def refusal(response):
    assert response.status == 500, response.data
    body = response.json()
    return body["ExceptionType"], body["ExceptionMessage"]


def test_activity_types_are_listed_in_the_observed_shape(client):
    response = client.request("GET", TYPES_PATH)
    assert response.status == 200
    types = {item["ActivityEvent"]: item for item in response.json()}
    assert set(types) == {WEBINAR_EVENT, ORDER_EVENT, 201, 205, 207, 213}
    order_type = types[ORDER_EVENT]
    keys = {"ActivityEventName", "DisplayName", "Score", "EventType", "EventDirection"}
    assert keys <= set(order_type)
    assert isinstance(order_type["ActivityProperties"], str)  # JSON inside JSON
    form = json.loads(order_type["ActivityProperties"])["FormMetaData"]
    fields = {field["SchemaName"]: field for field in form}
    first, tier = fields["mx_Custom_1"], fields["mx_Custom_2"]
    assert (first["DataType"], first["IsMandatory"], first["MaxFieldLength"]) == (
        "String",
        True,
        20,
    )
    assert first["DisplayName"] == "Order Number"
    assert tier["DataType"] == "Dropdown"
    options = [{"Text": name, "Value": name} for name in ("Gold", "Silver", "Bronze")]
    assert json.loads(tier["OptionSet"]) == options
    assert {field["DataType"] for field in form} >= {"Number", "DateTime", "Date", "Boolean"}
    webinar = json.loads(types[WEBINAR_EVENT]["ActivityProperties"])["FormMetaData"]
    names = {field["SchemaName"] for field in webinar}
    assert names == {f"mx_Custom_{n}" for n in range(1, 51)} | {"Status", "Owner"}
    assert not any(field["IsMandatory"] for field in webinar)
    assert client.request("GET", TYPES_PATH, auth=None).status == 401


def test_configured_types_replace_the_defaults(client, emu):
    emu.configure(activity_types=[ActivityTypeSpec(301, "Call", (FieldSpec("mx_Custom_1"),))])
    (only,) = client.request("GET", TYPES_PATH).json()
    assert only["ActivityEvent"] == 301
    assert json.loads(only["ActivityProperties"])["FormMetaData"][0]["OptionSet"] is None
    emu.configure(activity_types=DEFAULT_ACTIVITY_TYPES)
    assert len(client.request("GET", TYPES_PATH).json()) == len(DEFAULT_ACTIVITY_TYPES)


def test_a_valid_order_is_created(client):
    body = order(
        ("mx_Custom_2", "gold"),
        ("mx_Custom_3", "1,250.50"),
        ("mx_Custom_4", "2025-06-03 09:41:07"),
        ("mx_Custom_5", "Gift wrap"),
        ("mx_Custom_6", "TRUE"),
        ("mx_Custom_7", "2025-06-04"),
        ("Owner", "5b1d7c3e-2f4a-4e6b-9c8d-0a1b2c3d4e5f"),
    )
    response = client.create(body)
    assert response.status == 200, response.data
    assert response.json()["Status"] == "Success"
    unknown = client.create(order(("mx_Custom_9", "x")))
    assert refusal(unknown) == ("MXUnknownAttributeException", "Unknown attribute 'mx_Custom_9'")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("mx_Custom_2", "Platinum", "'Platinum' is not an option of mx_Custom_2"),
        ("mx_Custom_3", "twelve", "'twelve' is not a valid Number"),
        ("mx_Custom_4", "2025-06-03T09:41:07Z", "'2025-06-03T09:41:07Z' is not a valid DateTime"),
        ("mx_Custom_5", "x" * 201, "mx_Custom_5 is longer than 200 characters"),
        ("mx_Custom_6", "maybe", "'maybe' is not a valid Boolean"),
        ("mx_Custom_7", "2025-02-30", "'2025-02-30' is not a valid Date"),
        ("Status", "Lost", "'Lost' is not an option of Status"),
    ],
)
def test_a_value_the_field_does_not_take_is_invalid_input(client, name, value, message):
    expected = ("MXInvalidInputException", f"Invalid Input! {message}")
    assert refusal(client.create(order((name, value)))) == expected


def test_a_missing_or_blank_mandatory_custom_field_is_refused(client):
    expected = ("MXMandatoryAttributeMissingException", "'mx_Custom_1' is mandatory")
    assert refusal(client.create(order() | {"Fields": []})) == expected
    assert (
        refusal(client.create(order() | {"Fields": [{"SchemaName": "mx_Custom_1", "Value": " "}]}))
        == expected
    )
    lower = {"Fields": [{"SchemaName": "MX_CUSTOM_1", "Value": "A"}]}
    assert client.create(order() | lower).status == 200  # names match in any case


def test_a_mandatory_system_field_is_filled_by_leadsquared(client):
    """Status is mandatory on the order type, yet never refused as missing."""
    assert client.create(order()).status == 200


def test_validate_drop_down_options_true_skips_the_options(client):
    body = order(("mx_Custom_2", "Platinum"), ("Status", "Lost"))
    assert client.create(body | {"ValidateDropDownOptions": True}).status == 200
    assert client.create(body | {"ValidateDropDownOptions": False}).status == 500


def test_blank_values_are_no_values(client):
    body = order(
        ("mx_Custom_2", ""), ("mx_Custom_3", " "), ("mx_Custom_4", ""), ("mx_Custom_6", "")
    )
    assert client.create(body).status == 200


def test_a_refusal_commits_nothing(client, emu):
    client.create(order(("mx_Custom_2", "Platinum")))
    assert emu.created == []


def test_bulk_rows_are_refused_one_by_one(client):
    rows = [order(), order(("mx_Custom_3", "x")), order() | {"Fields": []}]
    answer = client.bulk(rows).json()["Response"]
    assert [row["ActivityCreated"] for row in answer] == [True, False, False]
    assert answer[1]["ExceptionType"] == "MXInvalidInputException"
    assert answer[2]["ExceptionType"] == "MXMandatoryAttributeMissingException"


def test_an_undeclared_code_is_a_free_text_type_by_default(client):
    body = {"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 213}
    assert (
        client.create(body | {"Fields": [{"SchemaName": "mx_Custom_50", "Value": "x"}]}).status
        == 200
    )
    unknown = client.create(body | {"Fields": [{"SchemaName": "mx_Nope", "Value": "x"}]})
    assert refusal(unknown) == ("MXUnknownAttributeException", "Unknown attribute 'mx_Nope'")


def test_an_undeclared_code_is_refused_as_the_real_api_does(make_client):
    client = make_client(accept_undeclared_events=False)
    response = client.create({"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 999})
    assert refusal(response) == (
        "MXInvalidInputException",
        "Invalid Input! Parameter Name: ActivityEvent",
    )
    assert (
        client.create({"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": WEBINAR_EVENT}).status
        == 200
    )
    rows = client.bulk([{"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 999}]).json()[
        "Response"
    ]
    assert rows[0]["ActivityCreated"] is False


def test_without_schema_checks_every_code_takes_any_known_field(make_client):
    client = make_client(schema_checks=False, accept_undeclared_events=False)
    assert client.create(order(("mx_Custom_2", "Platinum")) | {"Fields": []}).status == 200
    assert client.create({"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 999}).status == 200
    unknown = client.create(order(("mx_Nope", "x")))
    assert refusal(unknown)[0] == "MXUnknownAttributeException"


def test_leads_are_found_by_phone(client, emu):
    emu.add_lead(PRIMARY_LEAD_ID, "priya.nair@example.org", phone="+91-9876501234")

    def by_phone(phone, name="phone"):
        response = client.request("GET", PHONE_PATH, query={name: phone})
        assert response.status == 200
        return [lead["ProspectID"] for lead in response.json()]

    assert by_phone("+91-9876501234") == [PRIMARY_LEAD_ID]
    assert by_phone("+91 98765 01234") == [PRIMARY_LEAD_ID]  # the same digits
    assert by_phone("+91-9876500000") == []
    assert by_phone("+91-9876501234", name="Phone") == []  # the parameter's name is exact
    emu.add_lead(SECONDARY_LEAD_ID, phone="+919876501234")
    assert sorted(by_phone("+91-9876501234")) == sorted([PRIMARY_LEAD_ID, SECONDARY_LEAD_ID])
    lead = client.request("GET", PHONE_PATH, query={"phone": "+919876501234"}).json()[0]
    assert {"ProspectID", "EmailAddress", "FirstName", "LastName", "Phone"} <= set(lead)


def test_a_lead_created_by_email_is_found_by_its_phone(client):
    client.create(
        {"EmailAddress": "new.lead@example.org", "Phone": "98450 98450", "ActivityEvent": 212}
    )
    response = client.request("GET", PHONE_PATH, query={"phone": "9845098450"})
    assert [lead["EmailAddress"] for lead in response.json()] == ["new.lead@example.org"]
