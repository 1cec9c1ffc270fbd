"""Outcomes as HTTP answers: the status comes from the policy's table, the body says why."""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from activity_poster.outcomes import (
    AlreadyDelivered,
    Delivered,
    InProgress,
    Invalid,
    KeyReused,
    NotTried,
    Outcome,
    OverDailyLimit,
    Rejected,
    Throttled,
    TimedOut,
    Unauthorized,
)
from activity_poster.policy import KEY_REUSED, rule

# LeadSquared sends no retry hint; its limits are counted over 5-second windows.
RETRY_AFTER_SECONDS = "5"


def json_response(
    status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=headers,
    )


def outcome_response(outcome: Outcome) -> Response[Any]:
    """The answer to `POST /activities` for `outcome`."""
    body, headers = _body(outcome)
    return json_response(rule(outcome).status, body, headers)


def _body(outcome: Outcome) -> tuple[dict[str, Any], dict[str, str] | None]:
    match outcome:
        case Delivered() | AlreadyDelivered():
            body: dict[str, Any] = {"activityId": outcome.activity_id}
            if outcome.lead_score is not None:
                body["leadScore"] = outcome.lead_score
            replayed = isinstance(outcome, AlreadyDelivered)
            return body, {"Idempotent-Replayed": "true"} if replayed else None
        case Invalid(errors=errors, more=more):
            body = {"message": "invalid activity", "errors": list(errors)}
            return ({**body, "moreErrors": more} if more else body), None
        case Rejected(error_type=error_type, message=message):
            return {
                "message": "LeadSquared rejected the activity",
                "errorType": error_type,
                "errorMessage": message,
            }, None
        case KeyReused(key=key):
            return {
                "message": "this idempotency key was used before for a different activity",
                "errorType": KEY_REUSED,
                "idempotencyKey": key,
            }, None
        case OverDailyLimit(seconds_to_reset=seconds):
            return (
                {"message": "the LeadSquared account's calls for today are spent; retry after"},
                {"Retry-After": str(max(1, math.ceil(seconds)))},
            )
        case Throttled(message=message):
            return (
                {"message": "LeadSquared rate limit reached, retry later", "errorMessage": message},
                {"Retry-After": RETRY_AFTER_SECONDS},
            )
        case InProgress():
            message = "the same activity is being posted right now; retry shortly"
            return {"message": message}, {"Retry-After": "1"}
        case NotTried():
            message = "not enough time left to call LeadSquared; retry"
            return {"message": message}, {"Retry-After": "1"}
        case Unauthorized():
            return {"message": "LeadSquared refused the configured access keys"}, None
        case TimedOut():
            return {"message": "LeadSquared did not answer in time"}, None
    return {"message": "LeadSquared is unavailable", "reason": outcome.reason}, None
