"""The API's async mode: validate now, post later.

`Prefer: respond-async` on `POST /activities`, and `POST /activities/batch`, put valid
activities on the queue, whose consumer (this same function) posts them at the pace the
LeadSquared plan allows, and answer 202 with the message ids. An activity larger than the
queue takes is answered 413: sending it again cannot help (posting it synchronously can).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response

from activity_poster.adapters.api_answers import json_response, outcome_response
from activity_poster.adapters.intake import Intake
from activity_poster.models import Activity, InvalidActivity, parse_activity
from activity_poster.service import ActivityService, invalid

MAX_BATCH_ITEMS = 25
# An item's status in a batch answer, each counted in the answer, in this order.
ITEM_STATUSES = ("queued", "invalid", "failed", "too_large")
# The batch's status: that of the first of these statuses any item has. A failed item may
# be queued on a retry; one too large or invalid never is.
_BATCH_STATUS = {
    "queued": HTTPStatus.ACCEPTED,
    "failed": HTTPStatus.SERVICE_UNAVAILABLE,
    "too_large": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "invalid": HTTPStatus.BAD_REQUEST,
}


def enqueue_one(
    intake: Intake, service: ActivityService, data: Any, key: str | None
) -> Response[Any]:
    try:
        activity = parse_activity(data)
    except InvalidActivity as error:
        return outcome_response(service.refuse(error))
    [queued] = intake.enqueue([(data, activity, key)])
    if queued.too_large:
        message = f"{queued.error}; post it without Prefer: respond-async"
        return json_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": message})
    if queued.message_id is None:
        return json_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            {"message": "could not queue the activity; retry", "reason": queued.error},
            headers={"Retry-After": "1"},
        )
    return json_response(
        HTTPStatus.ACCEPTED,
        {"status": "queued", "messageId": queued.message_id},
        headers={"Preference-Applied": "respond-async"},
    )


def enqueue_batch(intake: Intake, data: Any) -> Response[Any]:
    """Each item is validated on its own; the valid ones are queued. 202 when any was."""
    items = data.get("activities") if isinstance(data, dict) else data
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH_ITEMS:
        return json_response(
            HTTPStatus.BAD_REQUEST,
            {
                "message": f"the body must be a JSON array of 1 to {MAX_BATCH_ITEMS} activities "
                'or {"activities": [...]}'
            },
        )
    results: list[dict[str, Any]] = [{} for _ in items]
    valid: list[tuple[int, Any, Activity]] = []
    for index, item in enumerate(items):
        try:
            valid.append((index, item, parse_activity(item)))
        except InvalidActivity as error:
            errors = list(invalid(error).errors)
            results[index] = {"index": index, "status": "invalid", "errors": errors}
    if valid:
        queued = intake.enqueue([(item, activity, None) for _, item, activity in valid])
        for (index, _, _), outcome in zip(valid, queued, strict=True):
            result: dict[str, Any] = {"status": "queued", "messageId": outcome.message_id}
            if not outcome.message_id:
                failure = "too_large" if outcome.too_large else "failed"
                result = {"status": failure, "error": outcome.error}
            results[index] = {"index": index, **result}
    counts = {name: sum(r["status"] == name for r in results) for name in ITEM_STATUSES}
    status = next(code for name, code in _BATCH_STATUS.items() if counts[name])
    return json_response(status, {**counts, "results": results})
