"""LeadSquared's answer (HTTP status, body) to exactly one outcome, row by row."""

from __future__ import annotations

import json
from typing import Any

import pytest

from activity_poster.leadsquared.classify import classify
from activity_poster.outcomes import (
    Delivered,
    Misdirected,
    Rejected,
    Throttled,
    Unauthorized,
    Unavailable,
)

ACTIVITY_ID = "6a3f2c10-8e4b-4d0c-9a71-2b5e8f9d4c11"
RATE_LIMIT_MESSAGE = "API calls exceeded the limit of 25 in 5 second(s)"
HTML_ERROR = b"<html><body><h1>500 Internal Server Error</h1></body></html>"


def body(**document: Any) -> bytes:
    return json.dumps(document).encode()


def error_body(exception_type: str | None, message: str) -> bytes:
    document: dict[str, Any] = {"Status": "Error", "ExceptionMessage": message}
    if exception_type is not None:
        document["ExceptionType"] = exception_type
    return body(**document)


# --- delivered -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            {"Id": ACTIVITY_ID, "Message": "Activity created"},
            Delivered(activity_id=ACTIVITY_ID),
            id="id-only",
        ),
        pytest.param(
            {"Id": ACTIVITY_ID, "LeadScore": 42},
            Delivered(activity_id=ACTIVITY_ID, lead_score=42),
            id="lead-score",
        ),
        pytest.param(
            {"Id": ACTIVITY_ID, "Score": 7},
            Delivered(activity_id=ACTIVITY_ID, lead_score=7),
            id="score",
        ),
        pytest.param(
            {"Id": ACTIVITY_ID, "ProspectScore": "15"},
            Delivered(activity_id=ACTIVITY_ID, lead_score="15"),
            id="prospect-score",
        ),
        pytest.param(
            {"Id": ACTIVITY_ID, "LeadScore": 0},
            Delivered(activity_id=ACTIVITY_ID, lead_score=0),
            id="zero-lead-score-kept",
        ),
        pytest.param({"Message": "ok"}, Delivered(activity_id=None), id="no-id"),
        pytest.param("Activity created", Delivered(activity_id=None), id="message-not-object"),
    ],
)
def test_success_is_delivered(message: Any, expected: Delivered) -> None:
    outcome = classify(200, body(Status="Success", Message=message))
    assert outcome == expected
    assert isinstance(outcome, Delivered)


def test_delivered_activity_id_is_text() -> None:
    outcome = classify(200, body(Status="Success", Message={"Id": 98765}))
    assert outcome == Delivered(activity_id="98765")


# --- rejected --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "raw", "expected"),
    [
        pytest.param(
            400,
            error_body("MXInvalidInputException", "ActivityEvent 999 does not exist"),
            Rejected("MXInvalidInputException", "ActivityEvent 999 does not exist", 400),
            id="400-invalid-input",
        ),
        pytest.param(
            400,
            error_body("MXMandatoryAttributeMissingException", "RelatedProspectId is required"),
            Rejected("MXMandatoryAttributeMissingException", "RelatedProspectId is required", 400),
            id="400-mandatory-missing",
        ),
        pytest.param(
            404,
            error_body("MXInvalidEntityException", "Lead does not exist"),
            Rejected("MXInvalidEntityException", "Lead does not exist", 404),
            id="404-unknown-lead",
        ),
        pytest.param(
            500,
            error_body("MXUnknownAttributeException", "mx_Custom_99 is not a field"),
            Rejected("MXUnknownAttributeException", "mx_Custom_99 is not a field", 500),
            id="500-with-mx-exception",
        ),
        pytest.param(
            200,
            error_body("MXInvalidInputException", "Invalid ActivityDateTime"),
            Rejected("MXInvalidInputException", "Invalid ActivityDateTime", 200),
            id="200-with-status-error",
        ),
        pytest.param(
            403,
            error_body("MXUnAuthorizedAccessException", "No access to this lead"),
            Rejected("MXUnAuthorizedAccessException", "No access to this lead", 403),
            id="403-mx-not-rate-limit",
        ),
    ],
)
def test_permanent_errors_are_rejected(status: int, raw: bytes, expected: Rejected) -> None:
    outcome = classify(status, raw)
    assert outcome == expected
    assert isinstance(outcome, Rejected)


@pytest.mark.parametrize(
    ("status", "raw"),
    [
        pytest.param(400, b"", id="400-empty-body"),
        pytest.param(404, b"", id="404-empty-body"),
        pytest.param(404, b"<html>Not Found</html>", id="404-html-body"),
        pytest.param(405, b"<html>Method Not Allowed</html>", id="405"),
        pytest.param(302, b"", id="302-redirect"),
        pytest.param(301, b"<html>Moved</html>", id="301-redirect"),
        pytest.param(400, body(Status="Error", ExceptionMessage="Bad request"), id="400-no-type"),
    ],
)
def test_an_answer_that_is_not_leadsquareds_judgement_is_misdirected(
    status: int, raw: bytes
) -> None:
    """A wrong host or path (the real API answers 404 to /v2/v2/...), a redirect: the function
    is misconfigured; the activity must never be dead-lettered for it."""
    outcome = classify(status, raw)
    assert isinstance(outcome, Misdirected)
    assert outcome.http_status == status


def test_rejected_message_is_bounded() -> None:
    outcome = classify(400, error_body("MXInvalidInputException", "x" * 5000))
    assert isinstance(outcome, Rejected)
    assert outcome.message == "x" * 500


# --- throttled -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "raw"),
    [
        pytest.param(
            429, error_body("MXAPIRateLimitExceededException", RATE_LIMIT_MESSAGE), id="429"
        ),
        pytest.param(
            403, error_body("MXAPIRateLimitExceededException", RATE_LIMIT_MESSAGE), id="403"
        ),
        pytest.param(
            200, error_body("MXAPIRateLimitExceededException", RATE_LIMIT_MESSAGE), id="200"
        ),
        pytest.param(
            500, error_body("MXAPIRateLimitExceededException", RATE_LIMIT_MESSAGE), id="500"
        ),
        pytest.param(
            401, error_body("MXAPIRateLimitExceededException", RATE_LIMIT_MESSAGE), id="401"
        ),
        pytest.param(429, error_body(None, RATE_LIMIT_MESSAGE), id="429-message-only"),
        pytest.param(403, error_body(None, RATE_LIMIT_MESSAGE), id="403-message-only"),
        pytest.param(
            200, error_body("MXException", RATE_LIMIT_MESSAGE), id="200-message-other-type"
        ),
    ],
)
def test_rate_limit_is_throttled_whatever_the_status(status: int, raw: bytes) -> None:
    outcome = classify(status, raw)
    assert outcome == Throttled(RATE_LIMIT_MESSAGE, http_status=status)
    assert isinstance(outcome, Throttled)


def test_rate_limit_type_without_message_is_throttled() -> None:
    outcome = classify(429, body(Status="Error", ExceptionType="MXAPIRateLimitExceededException"))
    assert isinstance(outcome, Throttled)
    assert outcome.http_status == 429
    assert outcome.message


# --- unavailable -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "raw"),
    [
        pytest.param(500, HTML_ERROR, id="500-html"),
        pytest.param(500, b"", id="500-empty"),
        pytest.param(500, body(Status="Error", ExceptionMessage="Server error"), id="500-no-type"),
        pytest.param(500, body(Message="An error has occurred."), id="500-aspnet-error"),
        pytest.param(502, b"<html>Bad Gateway</html>", id="502-html"),
        pytest.param(502, b"", id="502-empty"),
        pytest.param(503, b"Service Unavailable", id="503-text"),
        pytest.param(503, b"", id="503-empty"),
        pytest.param(504, b"", id="504-empty"),
        pytest.param(200, b"", id="200-empty"),
        pytest.param(200, HTML_ERROR, id="200-html"),
        pytest.param(200, b'[{"Status": "Success"}]', id="200-json-array"),
        pytest.param(200, b"\xff\xfe\x00garbage", id="200-not-utf8"),
        pytest.param(500, b"[]", id="500-json-array"),
    ],
)
def test_transient_failures_are_unavailable(status: int, raw: bytes) -> None:
    outcome = classify(status, raw)
    assert isinstance(outcome, Unavailable)
    assert isinstance(outcome, Unavailable)
    assert outcome.http_status == status
    assert str(status) in outcome.reason


# --- unauthorized ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(
            error_body("MXInvalidUserDetailsException", "Invalid access key or secret key"),
            "Invalid access key or secret key",
            id="invalid-user-details",
        ),
        pytest.param(b"", "LeadSquared refused the access keys", id="empty-body"),
        pytest.param(b"Unauthorized", "LeadSquared refused the access keys", id="text-body"),
    ],
)
def test_401_is_unauthorized(raw: bytes, message: str) -> None:
    outcome = classify(401, raw)
    assert outcome == Unauthorized(message, http_status=401)
    assert isinstance(outcome, Unauthorized)


# --- robustness ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"[" * 100_000, id="nested-arrays"),
        pytest.param(b'{"a":' * 100_000, id="nested-objects"),
    ],
)
def test_deeply_nested_body_is_unavailable(raw: bytes) -> None:
    assert isinstance(classify(502, raw), Unavailable)
