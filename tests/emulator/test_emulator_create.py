"""ProspectActivity.svc/Create: success shapes, the email variant and every validation error."""

import json
import uuid

import pytest

from leadsquared_emulator import (
    PRIMARY_EMAIL,
    PRIMARY_LEAD_ID,
    SECONDARY_LEAD_ID,
    UNKNOWN_LEAD_PREFIX,
)

UNKNOWN_LEAD = UNKNOWN_LEAD_PREFIX + "0000-4000-8000-000000000001"


def activity(**extra):
    return {"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 212, **extra}


def test_success_body_and_committed_activity(client):
    payload = activity(
        ActivityNote="Webinar attended",
        ActivityDateTime="2025-06-03 09:41:07",
        ProcessFilesAsync=True,
        Fields=[
            {"SchemaName": "mx_Custom_1", "Value": "WEB-2025-Q3"},
            {"SchemaName": "Status", "Value": ""},
        ],
    )
    response = client.create(payload)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["Status"] == "Success"
    assert set(body["Message"]) == {"Id"}
    assert uuid.UUID(body["Message"]["Id"])

    (created,) = client.emu.created
    assert created.activity_id == body["Message"]["Id"]
    assert created.lead_id == PRIMARY_LEAD_ID
    assert created.body == payload
    assert created.activity_event == 212
    assert created.created_on == "2025-06-03 09:41:07"

    (received,) = client.emu.received
    assert (received.method, received.path, received.status) == (
        "POST",
        "/v2/ProspectActivity.svc/Create",
        200,
    )
    assert received.json == payload
    assert json.loads(received.body) == payload
    assert received.fault is None


def test_every_post_creates_a_new_activity(client):
    ids = {client.create(activity()).json()["Message"]["Id"] for _ in range(3)}
    assert len(ids) == 3
    assert len(client.emu.created) == 3
    # HTTP/1.1 keep-alive: the pooled client reused one connection.
    assert len({r.client_port for r in client.emu.received}) == 1


def test_lead_ids_match_case_insensitively(client):
    assert client.create(activity(RelatedProspectId=SECONDARY_LEAD_ID.upper())).status == 200
    assert client.emu.created[0].lead_id == SECONDARY_LEAD_ID


def test_email_variant_creates_the_lead_once(client):
    new_lead = {
        "EmailAddress": "arjun.mehta@example.org",
        "FirstName": "Arjun",
        "LastName": "Mehta",
        "Phone": "+91-9876500000",
        "ActivityEvent": 212,
    }
    assert client.emu.find_lead_by_email("arjun.mehta@example.org") is None
    assert client.create(new_lead).status == 200
    lead = client.emu.find_lead_by_email("arjun.mehta@example.org")
    assert lead is not None
    assert (lead.first_name, lead.last_name, lead.phone) == ("Arjun", "Mehta", "+91-9876500000")
    assert lead.created_by_api

    again = dict(new_lead, EmailAddress="Arjun.Mehta@Example.ORG", FirstName="Other")
    assert client.create(again).status == 200
    first, second = client.emu.created
    assert first.lead_id == second.lead_id == lead.lead_id
    assert client.emu.find_lead_by_email("arjun.mehta@example.org").first_name == "Arjun"


def test_known_email_maps_to_the_seeded_lead(client):
    response = client.create({"EmailAddress": PRIMARY_EMAIL.upper(), "ActivityEvent": 212})
    assert response.status == 200
    assert client.emu.created[0].lead_id == PRIMARY_LEAD_ID


def test_lead_id_wins_over_email(client):
    client.create(activity(RelatedProspectId=SECONDARY_LEAD_ID, EmailAddress=PRIMARY_EMAIL))
    assert client.emu.created[0].lead_id == SECONDARY_LEAD_ID


def test_include_lead_score(client):
    first = client.create(activity(IncludeLeadScore=True)).json()["Message"]
    second = client.create(activity(IncludeLeadScore=True)).json()["Message"]
    assert first["LeadScore"] == 10
    assert second["LeadScore"] == 20
    assert "LeadScore" not in client.create(activity()).json()["Message"]


@pytest.mark.parametrize(("key", "expected"), [("Score", {"Id", "Score"}), (None, {"Id"})])
def test_lead_score_key_is_configurable(make_client, key, expected):
    client = make_client(lead_score_key=key)
    message = client.create(activity(IncludeLeadScore=True)).json()["Message"]
    assert set(message) == expected


MX_ERRORS = [
    pytest.param(
        {"RelatedProspectId": PRIMARY_LEAD_ID},
        "MXMandatoryAttributeMissingException",
        "'ActivityEvent' is mandatory",
        id="missing-event",
    ),
    pytest.param(
        {"ActivityEvent": 212},
        "MXMandatoryAttributeMissingException",
        "'RelatedProspectId' or 'EmailAddress' is mandatory",
        id="missing-lead",
    ),
    pytest.param(
        activity(ActivityEvent="212"),
        "MXInvalidInputException",
        "Invalid Input! Parameter Name: ActivityEvent",
        id="event-string",
    ),
    pytest.param(
        activity(ActivityEvent=0),
        "MXInvalidInputException",
        "Invalid Input! Parameter Name: ActivityEvent",
        id="event-zero",
    ),
    pytest.param(
        activity(ActivityEvent=True),
        "MXInvalidInputException",
        "Invalid Input! Parameter Name: ActivityEvent",
        id="event-bool",
    ),
    pytest.param(
        activity(ActivityDateTime="2025-06-03T09:41:07Z"),
        "MXInvalidInputException",
        "Invalid Input! Parameter Name: ActivityDateTime",
        id="iso-datetime",
    ),
    pytest.param(
        activity(Fields={"mx_Custom_1": "x"}),
        "MXInvalidInputException",
        "Invalid Input! Parameter Name: Fields",
        id="fields-not-list",
    ),
    pytest.param(
        activity(Fields=[{"SchemaName": "mx_Custom_1", "Value": 5}]),
        "MXInvalidInputException",
        "Invalid Input! Parameter Name: Fields",
        id="field-value-not-string",
    ),
    pytest.param(
        activity(ActivityNote=["x"]),
        "MXInvalidInputException",
        "Invalid Input! Parameter Name: ActivityNote",
        id="note-not-string",
    ),
    pytest.param(
        {"EmailAddress": "not-an-email", "ActivityEvent": 212},
        "MXInvalidInputException",
        "Invalid Input! Parameter Name: EmailAddress",
        id="bad-email",
    ),
    pytest.param(
        activity(Fields=[{"SchemaName": "mx_Custom_51", "Value": "x"}]),
        "MXUnknownAttributeException",
        "Unknown attribute 'mx_Custom_51'",
        id="unknown-attribute",
    ),
    pytest.param(
        activity(RelatedProspectId=UNKNOWN_LEAD),
        "MXInvalidEntityException",
        "Lead does not exist in the system",
        id="unknown-lead",
    ),
]


@pytest.mark.parametrize(("payload", "exception_type", "message"), MX_ERRORS)
@pytest.mark.parametrize("app_error_status", [500, 200])
def test_application_errors(make_client, payload, exception_type, message, app_error_status):
    client = make_client(app_error_status=app_error_status)
    response = client.create(payload)
    assert response.status == app_error_status
    assert response.json() == {
        "Status": "Error",
        "ExceptionType": exception_type,
        "ExceptionMessage": message,
    }
    assert client.emu.created == []
    assert client.emu.received[0].status == app_error_status


@pytest.mark.parametrize(
    "when",
    [
        "2025-6-3 09:41:07",
        "2025-06-03 9:41:07",
        "2025-02-30 10:00:00",
        "2025-06-03 24:00:00",
        "2025-06-03 09:41",
        "2025-06-03 09:41:07.123",
        " 2025-06-03 09:41:07",
        "",
    ],
)
def test_activity_datetime_must_be_strict(client, when):
    response = client.create(activity(ActivityDateTime=when))
    assert response.status == 500
    assert response.json()["ExceptionMessage"] == "Invalid Input! Parameter Name: ActivityDateTime"


@pytest.mark.parametrize("when", ["2024-02-29 23:59:59", "1999-01-01 00:00:00", None])
def test_activity_datetime_valid_values(client, when):
    assert client.create(activity(ActivityDateTime=when)).status == 200


def test_future_activity_time_rejection_is_opt_in(make_client):
    future = activity(ActivityDateTime="2999-01-01 00:00:00")
    assert make_client().create(future).status == 200
    assert make_client(reject_future_activity_time=True).create(future).status == 500


def test_activity_events_restrict_codes(make_client):
    client = make_client(activity_events=frozenset({212}))
    assert client.create(activity()).status == 200
    response = client.create(activity(ActivityEvent=213))
    assert response.json()["ExceptionMessage"] == "Invalid Input! Parameter Name: ActivityEvent"


def test_note_length_limit_is_opt_in(make_client):
    client = make_client(max_note_length=5)
    assert client.create(activity(ActivityNote="12345")).status == 200
    assert client.create(activity(ActivityNote="123456")).status == 500


@pytest.mark.parametrize("name", ["mx_Custom_1", "mx_Custom_50", "Status", "Owner"])
def test_allowed_field_names(client, name):
    assert client.create(activity(Fields=[{"SchemaName": name, "Value": "v"}])).status == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"raw": b"{not json"}, "Request body is not valid JSON"),
        ({"raw": b""}, "Request body is not valid JSON"),
        ({"payload": [activity()]}, "Request body must be a JSON object"),
        ({"payload": activity(), "content_type": None}, "Content-Type must be application/json"),
        ({"payload": activity(), "content_type": "text/plain"}, "Content-Type"),
    ],
    ids=["bad-json", "empty", "array", "no-content-type", "text-plain"],
)
def test_malformed_requests_get_400(client, kwargs, message):
    response = client.create(**kwargs)
    assert response.status == 400
    body = response.json()
    assert body["Status"] == "Error"
    assert body["ExceptionType"] == "MXInvalidInputException"
    assert message in body["ExceptionMessage"]
    assert client.emu.created == []


def test_content_type_with_charset_is_fine(client):
    assert client.create(activity(), content_type="application/json; charset=utf-8").status == 200


def test_chunked_request_body(client):
    url = client.emu.url + "/v2/ProspectActivity.svc/Create"
    headers = {
        "x-LSQ-AccessKey": client.emu.config.access_key,
        "x-LSQ-SecretKey": client.emu.config.secret_key,
        "Content-Type": "application/json",
    }
    parts = [b'{"RelatedProspectId": "', PRIMARY_LEAD_ID.encode(), b'", "ActivityEvent": 212}']
    response = client.http.request("POST", url, body=iter(parts), headers=headers, chunked=True)
    assert response.status == 200
    assert client.emu.received[0].json == activity()


def test_unknown_path_is_404_with_a_body(client):
    response = client.request("POST", "/v2/ProspectActivity.svc/Nope", activity())
    assert response.status == 404
    assert response.data
    assert client.emu.received[0].status == 404


def test_wrong_method_is_405(client):
    response = client.request("GET", "/v2/ProspectActivity.svc/Create")
    assert response.status == 405
    assert response.headers["Allow"] == "POST"


def test_paths_match_case_insensitively(client):
    assert client.request("POST", "/v2/prospectactivity.svc/create", activity()).status == 200


def test_unknown_prefix_is_never_a_lead_even_when_accepting_any_lead(make_client):
    client = make_client(accept_unknown_leads=True)
    random_lead = str(uuid.uuid4())
    assert client.create(activity(RelatedProspectId=random_lead)).status == 200
    assert client.create(activity(RelatedProspectId=UNKNOWN_LEAD)).status == 500
    assert client.emu.find_lead(random_lead) is not None


def test_add_lead(client):
    lead_id = str(uuid.uuid4())
    assert client.create(activity(RelatedProspectId=lead_id)).status == 500
    client.emu.add_lead(lead_id, "new.person@example.org")
    assert client.create(activity(RelatedProspectId=lead_id)).status == 200
    client.create({"EmailAddress": "NEW.person@example.org", "ActivityEvent": 1})
    assert [a.lead_id for a in client.emu.created] == [lead_id, lead_id]


def test_reset_clears_history_but_keeps_config(make_client):
    client = make_client(app_error_status=200)
    client.emu.add_lead("11111111-2222-3333-4444-555555555555")
    client.create(activity())
    client.emu.reset()
    assert client.emu.received == []
    assert client.emu.created == []
    assert client.emu.find_lead("11111111-2222-3333-4444-555555555555") is None
    assert client.emu.find_lead(PRIMARY_LEAD_ID) is not None
    assert client.emu.config.app_error_status == 200
    response = client.create(activity(IncludeLeadScore=True))
    assert response.json()["Message"]["LeadScore"] == 10


def test_configure_at_run_time(client):
    client.emu.configure(app_error_status=200, lead_score_key="Score")
    response = client.create(activity(RelatedProspectId=UNKNOWN_LEAD))
    assert response.status == 200
    assert response.json()["Status"] == "Error"
    with pytest.raises(TypeError):
        client.emu.configure(no_such_setting=1)
    with pytest.raises(ValueError, match="throttle_status"):
        client.emu.configure(throttle_status=9)


def test_configure_seeds_new_known_leads(client):
    lead_id = "77777777-0000-4000-8000-000000000007"
    client.emu.configure(
        known_lead_ids=frozenset({lead_id}), known_emails={"x@example.org": lead_id}
    )
    assert client.create(activity(RelatedProspectId=lead_id)).status == 200
    assert client.emu.find_lead_by_email("X@example.org").lead_id == lead_id
