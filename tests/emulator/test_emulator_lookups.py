"""Read endpoints a client can reconcile with, and the /__emulator/ control endpoints."""

import json

from leadsquared_emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    PRIMARY_EMAIL,
    PRIMARY_LEAD_ID,
    SECONDARY_LEAD_ID,
    Fault,
)


def activity(**extra):
    return {"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 212, **extra}


def retrieve(client, lead_id, body=None):
    return client.request(
        "POST", "/v2/ProspectActivity.svc/Retrieve", body, query={"leadId": lead_id}
    )


def test_retrieve_lists_committed_activities_newest_first(client):
    first = client.create(activity(ActivityNote="one", ActivityDateTime="2025-06-03 09:41:07"))
    second = client.create(
        activity(ActivityEvent=213, Fields=[{"SchemaName": "mx_Custom_1", "Value": "x"}])
    )
    client.create(activity(RelatedProspectId=SECONDARY_LEAD_ID))
    body = retrieve(client, PRIMARY_LEAD_ID).json()
    assert body["RecordCount"] == 2
    newest, oldest = body["ProspectActivities"]
    assert newest["Id"] == second.json()["Message"]["Id"]
    assert newest["EventCode"] == 213
    assert newest["Data"] == {"mx_Custom_1": "x"}
    assert oldest["Id"] == first.json()["Message"]["Id"]
    assert oldest["Data"] == {"ActivityEvent_Note": "one", "NotableEventDescription": "one"}
    assert oldest["CreatedOn"] == "2025-06-03 09:41:07"


def test_retrieve_filters_and_pages(client):
    for event in (212, 213, 212, 212):
        client.create(activity(ActivityEvent=event))
    body = retrieve(
        client,
        PRIMARY_LEAD_ID,
        {"Parameter": {"ActivityEvent": 212}, "Paging": {"Offset": "1", "RowCount": "1"}},
    ).json()
    assert body["RecordCount"] == 3
    assert len(body["ProspectActivities"]) == 1


def test_retrieve_needs_lead_id_and_auth(client):
    response = client.request("POST", "/v2/ProspectActivity.svc/Retrieve", {})
    assert response.status == 500
    assert response.json()["ExceptionType"] == "MXMandatoryAttributeMissingException"
    assert retrieve(client, PRIMARY_LEAD_ID).status == 200
    response = client.request(
        "POST", "/v2/ProspectActivity.svc/Retrieve", {}, auth=None, query={"leadId": "x"}
    )
    assert response.status == 401


def test_lead_by_email(client):
    response = client.request(
        "GET",
        "/v2/LeadManagement.svc/Leads.GetByEmailaddress",
        content_type=None,
        query={"emailaddress": PRIMARY_EMAIL.upper()},
    )
    assert response.status == 200
    (lead,) = response.json()
    assert lead["ProspectID"] == PRIMARY_LEAD_ID
    wrong_name = client.request(
        "GET",
        "/v2/LeadManagement.svc/Leads.GetByEmailaddress",
        content_type=None,
        query={"email": PRIMARY_EMAIL},
    )
    assert wrong_name.json() == []


def test_lead_by_id(client):
    path = "/v2/LeadManagement.svc/Leads.GetById"
    found = client.request("GET", path, content_type=None, query={"id": SECONDARY_LEAD_ID})
    assert found.json()[0]["ProspectID"] == SECONDARY_LEAD_ID
    missing = client.request("GET", path, content_type=None, query={"id": "00000000-1"})
    assert missing.json() == []


def test_control_endpoints(client):
    client.create(activity(), auth="query")
    dump = client.http.request("GET", client.emu.url + "/__emulator/received").json()
    assert len(dump) == 1
    assert dump[0]["status"] == 200
    assert dump[0]["query"]["accessKey"] == ["***"]
    text = json.dumps(dump)
    assert DEFAULT_ACCESS_KEY not in text
    assert DEFAULT_SECRET_KEY not in text

    created = client.http.request("GET", client.emu.url + "/__emulator/created").json()
    assert created[0]["lead_id"] == PRIMARY_LEAD_ID

    faults = client.http.request(
        "POST", client.emu.url + "/__emulator/faults", body=b'{"inject": "HTTP_503", "times": 1}'
    )
    assert faults.json()["pending"] == ["http_503"]
    assert client.emu.pending_faults == [Fault.HTTP_503]
    assert client.create(activity()).status == 503

    reset = client.http.request("POST", client.emu.url + "/__emulator/reset")
    assert reset.status == 200
    assert client.emu.received == []
    assert client.emu.created == []

    health = client.http.request("GET", client.emu.url + "/__emulator/health")
    assert health.json() == {"ok": True}
    bad = client.http.request("POST", client.emu.url + "/__emulator/faults", body=b'{"inject":1}')
    assert bad.status == 400
    assert client.emu.received == []  # control traffic is not logged
