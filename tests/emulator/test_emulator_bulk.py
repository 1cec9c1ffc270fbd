"""Bulk/CustomActivity/Add/ByLeadId: per-row results, the 25-row cap and its own rate bucket."""

import pytest

from leadsquared_emulator import PRIMARY_LEAD_ID, SECONDARY_LEAD_ID, BulkAnswerShape, RateLimit

UNKNOWN_LEAD = "00000000-0000-4000-8000-000000000002"


def row(lead_id=PRIMARY_LEAD_ID, **extra):
    return {"RelatedProspectId": lead_id, "ActivityEvent": 212, **extra}


MIXED_ROWS = [
    row(ActivityNote="ok", ActivityOwnerEmail="owner.one@example.com"),
    row(UNKNOWN_LEAD),
    row(SECONDARY_LEAD_ID, Fields=[{"SchemaName": "mx_Nope", "Value": "x"}]),
    {"RelatedProspectId": SECONDARY_LEAD_ID},
    row(SECONDARY_LEAD_ID, ActivityDateTime="2025-06-03 09:41:07"),
]


def test_partial_failure(client):
    response = client.bulk(MIXED_ROWS)
    assert response.status == 200
    results = response.json()["Response"]
    assert [r["RowNumber"] for r in results] == [1, 2, 3, 4, 5]
    assert [r["ActivityCreated"] for r in results] == [True, False, False, False, True]
    assert results[1] == {
        "ProspectActivityId": None,
        "RowNumber": 2,
        "ActivityCreated": False,
        "ExceptionType": "MXInvalidEntityException",
        "ExceptionMessage": "Lead does not exist in the system",
    }
    assert results[2]["ExceptionType"] == "MXUnknownAttributeException"
    assert results[3]["ExceptionType"] == "MXMandatoryAttributeMissingException"
    assert set(results[0]) == {"ProspectActivityId", "RowNumber", "ActivityCreated"}

    created = client.emu.created
    assert [a.activity_id for a in created] == [
        results[0]["ProspectActivityId"],
        results[4]["ProspectActivityId"],
    ]
    assert [a.lead_id for a in created] == [PRIMARY_LEAD_ID, SECONDARY_LEAD_ID]
    assert all(a.bulk for a in created)
    assert created[0].body == MIXED_ROWS[0]


def test_failed_rows_can_be_left_out(make_client):
    client = make_client(bulk_omit_failed_rows=True)
    results = client.bulk(MIXED_ROWS).json()["Response"]
    assert [r["RowNumber"] for r in results] == [1, 5]
    assert all(r["ActivityCreated"] for r in results)


def test_row_exception_type_is_optional(make_client):
    client = make_client(bulk_row_exception_type=False)
    failed = client.bulk([row(UNKNOWN_LEAD)]).json()["Response"][0]
    assert "ExceptionType" not in failed
    assert failed["ExceptionMessage"] == "Lead does not exist in the system"


def test_email_rows_are_not_supported_by_lead_id_bulk(client):
    failed = client.bulk([{"EmailAddress": "a@example.org", "ActivityEvent": 1}]).json()
    assert failed["Response"][0]["ExceptionMessage"] == "'RelatedProspectId' is mandatory"


def test_non_object_row_fails_alone(client):
    results = client.bulk(["nope", row()]).json()["Response"]
    assert [r["ActivityCreated"] for r in results] == [False, True]
    assert results[0]["ExceptionType"] == "MXInvalidInputException"


def test_twenty_five_rows_are_accepted(client):
    results = client.bulk([row() for _ in range(25)]).json()["Response"]
    assert len(results) == 25
    assert len(client.emu.created) == 25


@pytest.mark.parametrize("app_error_status", [500, 200])
def test_more_than_twenty_five_rows_rejects_the_whole_call(make_client, app_error_status):
    client = make_client(app_error_status=app_error_status)
    response = client.bulk([row() for _ in range(26)])
    assert response.status == app_error_status
    body = response.json()
    assert body["Status"] == "Error"
    assert body["ExceptionType"] == "MXInvalidInputException"
    assert "25" in body["ExceptionMessage"]
    assert "Response" not in body
    assert client.emu.created == []


def test_row_cap_is_configurable(make_client):
    client = make_client(bulk_max_rows=2)
    assert client.bulk([row(), row(), row()]).status == 500


def test_empty_array_is_an_application_error(client):
    response = client.bulk([])
    assert response.status == 500
    assert response.json()["ExceptionType"] == "MXInvalidInputException"


@pytest.mark.parametrize("payload", [row(), "text", 5])
def test_non_array_body_is_400(client, payload):
    response = client.bulk(payload)
    assert response.status == 400
    assert response.json()["ExceptionMessage"] == "Request body must be a JSON array"


def test_bulk_requires_auth(client):
    assert client.bulk([row()], auth=None).status == 401


def test_bulk_bucket_is_separate_from_single_bucket(make_client):
    client = make_client(rate_limit=RateLimit(1, 5.0), bulk_rate_limit=RateLimit(2, 5.0))
    assert client.create(row()).status == 200
    assert client.create(row()).status == 429
    assert client.bulk([row()]).status == 200
    assert client.bulk([row()]).status == 200
    throttled = client.bulk([row()])
    assert throttled.status == 429
    assert throttled.json()["ExceptionMessage"] == (
        "API calls exceeded the limit of 2 in 5 second(s)"
    )
    assert len(client.emu.created) == 3


# -- answer shapes: the rows are created alike, only the report differs ------------------------


def created_ids(client):
    return [a.activity_id for a in client.emu.created]


def test_full_is_the_default_shape(client):
    assert client.emu.config.bulk_answer_shape == "full"
    results = client.bulk(MIXED_ROWS).json()["Response"]
    assert [set(r) for r in results] == [
        {"ProspectActivityId", "RowNumber", "ActivityCreated"},
        {"ProspectActivityId", "RowNumber", "ActivityCreated", "ExceptionType", "ExceptionMessage"},
        {"ProspectActivityId", "RowNumber", "ActivityCreated", "ExceptionType", "ExceptionMessage"},
        {"ProspectActivityId", "RowNumber", "ActivityCreated", "ExceptionType", "ExceptionMessage"},
        {"ProspectActivityId", "RowNumber", "ActivityCreated"},
    ]


def test_id_only_shape(make_client):
    client = make_client(bulk_answer_shape="id_only")
    response = client.bulk(MIXED_ROWS)
    assert response.status == 200
    results = response.json()["Response"]
    ids = created_ids(client)
    assert results[0] == {"ProspectActivityId": ids[0], "RowNumber": 1}
    assert results[1] == {
        "RowNumber": 2,
        "ExceptionType": "MXInvalidEntityException",
        "ExceptionMessage": "Lead does not exist in the system",
    }
    assert [set(r) for r in results[2:4]] == [
        {"RowNumber", "ExceptionType", "ExceptionMessage"}
    ] * 2
    assert results[4] == {"ProspectActivityId": ids[1], "RowNumber": 5}
    assert not any("ActivityCreated" in r for r in results)


def test_id_only_honours_the_row_exception_type_switch(make_client):
    client = make_client(bulk_answer_shape="id_only", bulk_row_exception_type=False)
    (failed,) = client.bulk([row(UNKNOWN_LEAD)]).json()["Response"]
    assert failed == {"RowNumber": 1, "ExceptionMessage": "Lead does not exist in the system"}


def test_no_row_number_shape(make_client):
    client = make_client(bulk_answer_shape="no_row_number")
    results = client.bulk(MIXED_ROWS).json()["Response"]
    assert len(results) == 5
    assert not any("RowNumber" in r for r in results)
    assert [r["ActivityCreated"] for r in results] == [True, False, False, False, True]
    assert [r["ProspectActivityId"] for r in results if r["ActivityCreated"]] == created_ids(client)
    assert results[1]["ExceptionType"] == "MXInvalidEntityException"


def test_missing_rows_shape_leaves_out_the_last_row(make_client):
    client = make_client(bulk_answer_shape="missing_rows")
    results = client.bulk(MIXED_ROWS).json()["Response"]
    assert [r["RowNumber"] for r in results] == [1, 2, 3, 4]
    assert len(client.emu.created) == 2  # row 5 was created all the same
    assert client.emu.created[1].body == MIXED_ROWS[4]
    assert results[0]["ProspectActivityId"] == client.emu.created[0].activity_id

    (only,) = client.bulk([row(), row()]).json()["Response"]
    assert only["RowNumber"] == 1
    assert client.bulk([row()]).json() == {"Response": []}
    assert len(client.emu.created) == 5


def test_missing_rows_after_omitting_failed_rows(make_client):
    client = make_client(bulk_answer_shape="missing_rows", bulk_omit_failed_rows=True)
    results = client.bulk(MIXED_ROWS).json()["Response"]
    assert [r["RowNumber"] for r in results] == [1]


def test_count_only_shape(make_client):
    client = make_client(bulk_answer_shape="count_only")
    response = client.bulk(MIXED_ROWS)
    assert response.status == 200
    assert response.json() == {"Status": "Success", "Message": {"Count": 2}}
    assert len(client.emu.created) == 2
    assert client.bulk([row(UNKNOWN_LEAD)]).json() == {"Status": "Success", "Message": {"Count": 0}}


@pytest.mark.parametrize(
    "shape", ["full", "id_only", "no_row_number", "missing_rows", "count_only"]
)
def test_every_shape_commits_the_same_rows(make_client, shape):
    client = make_client(bulk_answer_shape=shape)
    assert client.bulk(MIXED_ROWS).status == 200
    assert [a.body for a in client.emu.created] == [MIXED_ROWS[0], MIXED_ROWS[4]]
    assert all(a.bulk for a in client.emu.created)


@pytest.mark.parametrize("shape", ["id_only", "count_only"])
def test_whole_call_errors_keep_the_error_envelope(make_client, shape):
    client = make_client(bulk_answer_shape=shape)
    body = client.bulk([row() for _ in range(26)]).json()
    assert body["Status"] == "Error"
    assert body["ExceptionType"] == "MXInvalidInputException"


def test_shape_can_change_at_run_time_and_rejects_unknown_values(client):
    client.emu.configure(bulk_answer_shape="COUNT_ONLY")
    assert client.emu.config.bulk_answer_shape is BulkAnswerShape.COUNT_ONLY
    assert client.bulk([row()]).json()["Message"] == {"Count": 1}
    client.emu.configure(bulk_answer_shape=BulkAnswerShape.FULL)
    assert "Response" in client.bulk([row()]).json()
    with pytest.raises(ValueError, match="count_only"):
        client.emu.configure(bulk_answer_shape="rows")
