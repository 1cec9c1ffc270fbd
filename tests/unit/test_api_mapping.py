"""Outcome to HTTP answer for POST /activities, and which request bodies count as JSON."""

from __future__ import annotations

from typing import Any

import pytest

from activity_poster.adapters.api import _is_json
from activity_poster.adapters.api_answers import outcome_response
from activity_poster.models import FieldError, InvalidActivity
from activity_poster.outcomes import (
    AlreadyDelivered,
    ConnectionLost,
    Delivered,
    InProgress,
    Invalid,
    NotTried,
    Outcome,
    Rejected,
    Throttled,
    TimedOut,
    Unaccounted,
    Unauthorized,
    Unavailable,
    Unreachable,
)
from activity_poster.service import invalid

ACTIVITY_ID = "6a3f2c10-8e4b-4d0c-9a71-2b5e8f9d4c11"


@pytest.mark.parametrize(
    ("outcome", "status", "body"),
    [
        pytest.param(Delivered(ACTIVITY_ID), 201, {"activityId": ACTIVITY_ID}, id="delivered"),
        pytest.param(
            Delivered(ACTIVITY_ID, lead_score=42),
            201,
            {"activityId": ACTIVITY_ID, "leadScore": 42},
            id="delivered-with-lead-score",
        ),
        pytest.param(
            Delivered(ACTIVITY_ID, lead_score=0),
            201,
            {"activityId": ACTIVITY_ID, "leadScore": 0},
            id="delivered-with-zero-lead-score",
        ),
        pytest.param(Delivered(None), 201, {"activityId": None}, id="delivered-without-id"),
        pytest.param(
            Rejected("MXInvalidInputException", "ActivityEvent 999 does not exist", 400),
            422,
            {
                "message": "LeadSquared rejected the activity",
                "errorType": "MXInvalidInputException",
                "errorMessage": "ActivityEvent 999 does not exist",
            },
            id="rejected-by-leadsquared",
        ),
        pytest.param(
            Rejected("HTTP404", "", 404),
            422,
            {
                "message": "LeadSquared rejected the activity",
                "errorType": "HTTP404",
                "errorMessage": "",
            },
            id="rejected-http-404",
        ),
    ],
)
def test_outcome_body(outcome: Outcome, status: int, body: dict[str, Any]) -> None:
    response = outcome_response(outcome)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.body == body


def test_invalid_activity_is_400_listing_each_field() -> None:
    error = InvalidActivity(
        [
            FieldError("ActivityEvent", "must be a positive integer"),
            FieldError("ActivityNotes", "unknown field"),
        ]
    )
    response = outcome_response(invalid(error))
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.body == {
        "message": "invalid activity",
        "errors": [
            {"field": "ActivityEvent", "message": "must be a positive integer"},
            {"field": "ActivityNotes", "message": "unknown field"},
        ],
    }


def test_invalid_activity_errors_are_a_list() -> None:
    outcome = Invalid(({"field": "(body)", "message": "x"},))
    body = outcome_response(outcome).body
    assert isinstance(body["errors"], list)
    assert body["errors"] == [{"field": "(body)", "message": "x"}]


def test_throttled_is_429_with_retry_after() -> None:
    response = outcome_response(Throttled("API calls exceeded the limit of 25", http_status=429))
    assert response.status_code == 429
    retry_after = response.headers["Retry-After"]
    assert isinstance(retry_after, str)
    assert retry_after.isdigit()
    assert int(retry_after) > 0
    assert response.body["errorMessage"] == "API calls exceeded the limit of 25"


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        pytest.param(Unauthorized("Invalid access key"), 502, id="unauthorized"),
        pytest.param(Unavailable("HTTP 503 without an application error", 503), 502, id="5xx"),
        pytest.param(
            Unreachable("cannot connect to LeadSquared"),
            502,
            id="connection-refused",
        ),
        pytest.param(TimedOut("LeadSquared did not answer in time"), 504, id="timeout"),
        pytest.param(ConnectionLost("connection reset"), 502, id="connection-lost"),
        pytest.param(Unaccounted("row not in the answer"), 502, id="unaccounted"),
    ],
)
def test_upstream_failures(outcome: Outcome, status: int) -> None:
    response = outcome_response(outcome)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert "Retry-After" not in response.headers
    assert isinstance(response.body["message"], str)
    assert response.body["message"]


def test_unauthorized_body_does_not_echo_leadsquared_message() -> None:
    response = outcome_response(Unauthorized("Invalid access key u$r7c1a9f3e2b4d8"))
    assert response.body == {"message": "LeadSquared refused the configured access keys"}


def test_unavailable_body_carries_the_reason() -> None:
    response = outcome_response(Unavailable("HTTP 503 with a body that is not JSON", 503))
    assert response.body["reason"] == "HTTP 503 with a body that is not JSON"


def test_only_answers_worth_retrying_soon_set_retry_after() -> None:
    outcomes: list[Outcome] = [
        Delivered(ACTIVITY_ID),
        Rejected("MXInvalidInputException", "bad"),
        Unauthorized("no"),
        Unavailable("down"),
        TimedOut("slow"),
    ]
    assert ["Retry-After" in outcome_response(o).headers for o in outcomes] == [False] * 5
    retry_soon: list[Outcome] = [Throttled("limit"), InProgress(), NotTried()]
    assert all("Retry-After" in outcome_response(o).headers for o in retry_soon)


def test_a_replayed_delivery_answers_as_the_original_and_says_so() -> None:
    response = outcome_response(AlreadyDelivered(ACTIVITY_ID))
    assert (response.status_code, response.body) == (201, {"activityId": ACTIVITY_ID})
    assert response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in outcome_response(Delivered(ACTIVITY_ID)).headers


@pytest.mark.parametrize(
    ("outcome", "status"),
    [(InProgress(), 409), (NotTried(), 503)],
)
def test_answers_of_activities_not_posted(outcome: Outcome, status: int) -> None:
    assert outcome_response(outcome).status_code == status


@pytest.mark.parametrize(
    ("content_type", "is_json"),
    [
        pytest.param("application/json", True, id="json"),
        pytest.param("application/json; charset=utf-8", True, id="json-with-charset"),
        pytest.param("Application/JSON", True, id="json-upper-case"),
        pytest.param("application/vnd.api+json", True, id="vendor-json-suffix"),
        pytest.param(None, True, id="missing-header"),
        pytest.param("", True, id="empty-header"),
        pytest.param("text/plain", False, id="text-plain"),
        pytest.param("application/x-www-form-urlencoded", False, id="form"),
        pytest.param("multipart/form-data; boundary=x", False, id="multipart"),
        pytest.param("application/jsonp", False, id="jsonp"),
        pytest.param("text/html; charset=application/json", False, id="json-only-in-parameter"),
    ],
)
def test_is_json(content_type: str | None, is_json: bool) -> None:
    assert _is_json(content_type) is is_json
