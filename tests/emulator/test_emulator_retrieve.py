"""ProspectActivity.svc/Retrieve: the default row shape, each alternative shape, and paging."""

import re
from datetime import UTC, datetime

import pytest

from leadsquared_emulator import PRIMARY_LEAD_ID, EmulatorConfig, RetrieveShape

POSTED_AT = "2025-06-03 09:41:07"
NOTE = "Webinar attended"
FIELDS = [
    {"SchemaName": "mx_Custom_1", "Value": "WEB-2025-Q3"},
    {"SchemaName": "Status", "Value": "Attended"},
]
UTC_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def activity(**extra):
    return {"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 212, **extra}


def retrieve(client, body=None, lead_id=PRIMARY_LEAD_ID):
    response = client.request(
        "POST", "/v2/ProspectActivity.svc/Retrieve", body, query={"leadId": lead_id}
    )
    assert response.status == 200
    return response.json()


def only_row(client, **posted):
    client.create(activity(**posted))
    (row,) = retrieve(client)["ProspectActivities"]
    return row


def seconds_from_now(text):
    assert UTC_TEXT.match(text), text
    when = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return abs((datetime.now(UTC) - when).total_seconds())


def test_default_row(client):
    row = only_row(client, ActivityNote=NOTE, ActivityDateTime=POSTED_AT, Fields=FIELDS)
    (created,) = client.emu.created
    assert row == {
        "Id": created.activity_id,
        "EventCode": 212,
        "RelatedProspectId": PRIMARY_LEAD_ID,
        "CreatedOn": POSTED_AT,
        "Data": {
            "ActivityEvent_Note": NOTE,
            "NotableEventDescription": NOTE,
            "mx_Custom_1": "WEB-2025-Q3",
            "Status": "Attended",
        },
    }
    assert "ActivityNote" not in row


def test_default_created_on_without_a_posted_time_is_the_commit_time(client):
    row = only_row(client)
    (created,) = client.emu.created
    assert row["CreatedOn"] == created.created_on == created.stored_on
    assert seconds_from_now(row["CreatedOn"]) < 60
    assert row["Data"] == {}  # no note: no note keys


def test_stored_on_is_kept_apart_from_the_posted_time(client):
    client.create(activity(ActivityDateTime=POSTED_AT))
    (created,) = client.emu.created
    assert created.created_on == POSTED_AT
    assert seconds_from_now(created.stored_on) < 60


@pytest.mark.parametrize(
    ("shape", "data_note_keys", "top_level_note"),
    [
        ("default", {"ActivityEvent_Note", "NotableEventDescription"}, False),
        ("note_in_activity_event_note", {"ActivityEvent_Note"}, False),
        ("note_in_notable_event_description", {"NotableEventDescription"}, False),
        ("note_at_top_level", set(), True),
        ("created_on_is_server_time", {"ActivityEvent_Note", "NotableEventDescription"}, False),
        ("no_note", set(), False),
    ],
)
def test_where_the_note_is(make_client, shape, data_note_keys, top_level_note):
    client = make_client(retrieve_shape=shape)
    row = only_row(client, ActivityNote=NOTE, ActivityDateTime=POSTED_AT, Fields=FIELDS)
    assert {key for key, value in row["Data"].items() if value == NOTE} == data_note_keys
    assert row["Data"]["mx_Custom_1"] == "WEB-2025-Q3"  # fields are there in every shape
    assert ("ActivityNote" in row) is top_level_note
    if top_level_note:
        assert row["ActivityNote"] == NOTE
    if shape == "no_note":
        assert NOTE not in str(row)


@pytest.mark.parametrize("shape", [s.value for s in RetrieveShape])
def test_created_on_per_shape(make_client, shape):
    client = make_client(retrieve_shape=shape)
    row = only_row(client, ActivityDateTime="2020-01-02 03:04:05")
    if shape == "created_on_is_server_time":
        assert row["CreatedOn"] == client.emu.created[0].stored_on
        assert seconds_from_now(row["CreatedOn"]) < 60
    else:
        assert row["CreatedOn"] == "2020-01-02 03:04:05"


def test_note_at_top_level_is_null_without_a_note(make_client):
    row = only_row(make_client(retrieve_shape="note_at_top_level"))
    assert row["ActivityNote"] is None


def test_shape_can_change_at_run_time(client):
    client.create(activity(ActivityNote=NOTE))
    client.emu.configure(retrieve_shape="no_note")
    assert client.emu.config.retrieve_shape is RetrieveShape.NO_NOTE
    (row,) = retrieve(client)["ProspectActivities"]
    assert row["Data"] == {}
    client.emu.configure(retrieve_shape=RetrieveShape.NOTE_IN_ACTIVITY_EVENT_NOTE)
    (row,) = retrieve(client)["ProspectActivities"]
    assert row["Data"] == {"ActivityEvent_Note": NOTE}


def test_unknown_shape_is_rejected(client):
    with pytest.raises(ValueError, match="note_in_activity_event_note"):
        client.emu.configure(retrieve_shape="somewhere")
    with pytest.raises(ValueError):
        EmulatorConfig(retrieve_shape="")


def test_pages_of_twenty_five_newest_first(client):
    for n in range(30):
        client.create(activity(ActivityNote=f"n{n}"))
    notes = [f"n{n}" for n in reversed(range(30))]

    first = retrieve(client)
    assert first["RecordCount"] == 30
    assert [r["Data"]["ActivityEvent_Note"] for r in first["ProspectActivities"]] == notes[:25]

    second = retrieve(client, {"Paging": {"Offset": "25", "RowCount": "25"}})
    assert second["RecordCount"] == 30
    assert [r["Data"]["ActivityEvent_Note"] for r in second["ProspectActivities"]] == notes[25:]

    numeric = retrieve(client, {"Paging": {"Offset": 5, "RowCount": 3}})
    assert [r["Data"]["ActivityEvent_Note"] for r in numeric["ProspectActivities"]] == notes[5:8]


def test_unknown_lead_has_no_activities(client):
    assert retrieve(client, lead_id="00000000-0000-4000-8000-000000000009") == {
        "RecordCount": 0,
        "ProspectActivities": [],
    }
