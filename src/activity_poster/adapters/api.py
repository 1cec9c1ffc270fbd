"""HTTP requests (API Gateway REST and HTTP APIs, Lambda function URLs) to status codes.

`POST /activities` takes one activity and answers with what became of it:

| outcome                         | status |
|---------------------------------|--------|
| delivered                       | 201    |
| invalid input                   | 400    |
| LeadSquared rejected it         | 422    |
| throttled                       | 429 + Retry-After |
| keys refused / LeadSquared down | 502    |
| LeadSquared timed out           | 504    |

With `Prefer: respond-async` it validates the activity, puts it on the queue and answers 202
with the message id. `POST /activities/batch` does the same for up to 25 activities and
answers per item.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    LambdaFunctionUrlResolver,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster.credentials import CredentialsError
from activity_poster.deadline import Deadline
from activity_poster.delivery import VALIDATION_ERROR
from activity_poster.intake import Intake
from activity_poster.leadsquared.outcomes import (
    Delivered,
    Outcome,
    Rejected,
    Throttled,
    Unauthorized,
    Unavailable,
)
from activity_poster.models import (
    Activity,
    FieldError,
    InvalidActivity,
    decode_json,
    parse_activity,
)
from activity_poster.observability import logger
from activity_poster.runtime import Runtime, get_runtime
from activity_poster.service import Result
from activity_poster.settings import ConfigurationError

ACTIVITIES_PATH = "/activities"
BATCH_PATH = "/activities/batch"
MAX_BATCH_ITEMS = 25
IDEMPOTENCY_HEADER = "idempotency-key"
# API Gateway gives up on an integration after 29 s; answer before it does.
API_DEADLINE_SECONDS = 27.0
# LeadSquared sends no retry hint; its limits are counted over 5-second windows.
RETRY_AFTER_SECONDS = "5"
_OTHER_METHODS = ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def json_response(
    status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=headers,
    )


def result_response(result: Result) -> Response[Any]:
    """A duplicate of a delivered activity answers as the original did, and says so."""
    response = outcome_response(result.outcome)
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def outcome_response(outcome: Outcome) -> Response[Any]:
    """The table in this module's docstring."""
    match outcome:
        case Delivered(activity_id=activity_id, lead_score=score):
            body: dict[str, Any] = {"activityId": activity_id}
            if score is not None:
                body["leadScore"] = score
            return json_response(HTTPStatus.CREATED, body)
        case Unavailable(in_progress=True):
            return json_response(
                HTTPStatus.CONFLICT,
                {"message": "the same activity is being posted right now; retry shortly"},
                headers={"Retry-After": "1"},
            )
        case Rejected(error_type=error_type, field_errors=errors) if error_type == VALIDATION_ERROR:
            return json_response(
                HTTPStatus.BAD_REQUEST, {"message": "invalid activity", "errors": list(errors)}
            )
        case Rejected(error_type=error_type, message=message):
            return json_response(
                HTTPStatus.UNPROCESSABLE_ENTITY,
                {
                    "message": "LeadSquared rejected the activity",
                    "errorType": error_type,
                    "errorMessage": message,
                },
            )
        case Throttled(message=message):
            return json_response(
                HTTPStatus.TOO_MANY_REQUESTS,
                {"message": "LeadSquared rate limit reached, retry later", "errorMessage": message},
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        case Unauthorized():
            return json_response(
                HTTPStatus.BAD_GATEWAY,
                {"message": "LeadSquared refused the configured access keys"},
            )
        case Unavailable(timed_out=True):
            return json_response(
                HTTPStatus.GATEWAY_TIMEOUT, {"message": "LeadSquared did not answer in time"}
            )
        case Unavailable(reason=reason):
            return json_response(
                HTTPStatus.BAD_GATEWAY, {"message": "LeadSquared is unavailable", "reason": reason}
            )


class _Answer(Exception):
    def __init__(self, response: Response[Any]) -> None:
        self.response = response


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # no header at all: the body is taken as JSON and validated as such
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def wants_async(prefer: str | None) -> bool:
    """RFC 7240: `Prefer: respond-async` (possibly among other preferences)."""
    tokens = (part.split("=", 1)[0].strip().lower() for part in (prefer or "").split(","))
    return "respond-async" in tokens


def _intake(runtime: Runtime) -> Intake:
    if runtime.intake is None:
        raise ConfigurationError("ACTIVITY_QUEUE_URL is not set: the async mode needs the queue")
    return runtime.intake


def enqueue_one(runtime: Runtime, data: Any, key: str | None) -> Response[Any]:
    try:
        activity = parse_activity(data)
    except InvalidActivity as error:
        return result_response(runtime.service.refuse(error))
    [queued] = _intake(runtime).enqueue([(data, activity, key)])
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


def enqueue_batch(runtime: Runtime, data: Any) -> Response[Any]:
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
            refused = runtime.service.refuse(error).outcome
            errors = list(getattr(refused, "field_errors", ()))
            results[index] = {"index": index, "status": "invalid", "errors": errors}
    if valid:
        queued = _intake(runtime).enqueue([(item, activity, None) for _, item, activity in valid])
        for (index, _, _), outcome in zip(valid, queued, strict=True):
            results[index] = (
                {"index": index, "status": "queued", "messageId": outcome.message_id}
                if outcome.message_id
                else {"index": index, "status": "failed", "error": outcome.error}
            )
    counts = {
        status: sum(r["status"] == status for r in results)
        for status in ("queued", "invalid", "failed")
    }
    if counts["queued"]:
        status = HTTPStatus.ACCEPTED
    elif counts["failed"]:
        status = HTTPStatus.SERVICE_UNAVAILABLE
    else:
        status = HTTPStatus.BAD_REQUEST
    return json_response(status, {**counts, "results": results})


def _build(
    resolver_class: type[ApiGatewayResolver], runtime: Callable[[], Runtime]
) -> ApiGatewayResolver:
    app = resolver_class()

    def json_body() -> Any:
        """The decoded JSON body; raises _Answer for a wrong content type or invalid JSON."""
        event = app.current_event
        logger.set_correlation_id(event.raw_event.get("requestContext", {}).get("requestId"))
        if not _is_json(event.headers.get("content-type")):
            raise _Answer(
                json_response(
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    {"message": "Content-Type must be application/json"},
                )
            )
        try:
            try:
                body = event.decoded_body
            except (ValueError, UnicodeError):
                raise InvalidActivity(
                    [FieldError("(body)", "is not base64-encoded UTF-8 text")]
                ) from None
            return decode_json(body)
        except InvalidActivity as error:
            raise _Answer(result_response(runtime().service.refuse(error))) from None

    @app.post(ACTIVITIES_PATH)
    def post_activity() -> Response[Any]:
        data = json_body()
        headers = app.current_event.headers
        key_hint = headers.get(IDEMPOTENCY_HEADER)
        if wants_async(headers.get("prefer")):
            return enqueue_one(runtime(), data, key_hint)
        deadline = Deadline.from_context(app.lambda_context, cap_seconds=API_DEADLINE_SECONDS)
        service = runtime().service
        service.begin_invocation(app.lambda_context)
        # A caller waits on this answer: one single call, never a bulk call gathering rows.
        return result_response(
            service.submit(data, key_hint=key_hint, deadline=deadline, bulk_ok=False)
        )

    @app.post(BATCH_PATH)
    def post_batch() -> Response[Any]:
        return enqueue_batch(runtime(), json_body())

    @app.route(ACTIVITIES_PATH, method=_OTHER_METHODS)
    @app.route(BATCH_PATH, method=_OTHER_METHODS)
    def other_method() -> Response[Any]:
        return json_response(
            HTTPStatus.METHOD_NOT_ALLOWED,
            {"message": "method not allowed; use POST"},
            headers={"Allow": "POST"},
        )

    @app.exception_handler(_Answer)  # type: ignore[untyped-decorator]
    def answer(early: _Answer) -> Response[Any]:
        return early.response

    @app.not_found
    def not_found(_: NotFoundError) -> Response[Any]:
        return json_response(
            HTTPStatus.NOT_FOUND,
            {"message": f"not found; activities are posted to {ACTIVITIES_PATH}"},
        )

    @app.exception_handler([ConfigurationError, CredentialsError])  # type: ignore[untyped-decorator]
    def misconfigured(error: Exception) -> Response[Any]:
        logger.error("configuration error", extra={"error": str(error)})
        return json_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, {"message": f"configuration error: {error}"}
        )

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def unexpected(error: Exception) -> Response[Any]:
        logger.exception("unexpected error while handling the request")
        return json_response(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "internal error"})

    return app


class ApiAdapter:
    """One resolver per event format; all share the same routes."""

    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        self._resolvers: dict[str, ApiGatewayResolver] = {
            "api_v1": _build(APIGatewayRestResolver, runtime),
            "api_v2": _build(APIGatewayHttpResolver, runtime),
            "function_url": _build(LambdaFunctionUrlResolver, runtime),
        }

    def handle(self, kind: str, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        problem = malformed_request(event)
        if problem is not None:
            logger.warning("malformed request event", extra={"problem": problem})
            return _malformed_answer(problem)
        try:
            return self._resolvers[kind].resolve(event, context)
        except (ConfigurationError, CredentialsError):
            raise
        except Exception:
            # A request event that API Gateway would never send (missing or mistyped parts)
            # still gets an answer rather than an invocation error.
            logger.exception("malformed request event")
            return _malformed_answer("unreadable")


def malformed_request(event: dict[str, Any]) -> str | None:
    """What makes an event one API Gateway would never send, or None if it looks sound."""
    headers = event.get("headers")
    if headers is not None and not (
        isinstance(headers, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        return "headers must map names to strings"
    multi = event.get("multiValueHeaders")
    if multi is not None and not (
        isinstance(multi, dict)
        and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(i, str) for i in v)
            for k, v in multi.items()
        )
    ):
        return "multiValueHeaders must map names to lists of strings"
    if event.get("body") is not None and not isinstance(event.get("body"), str):
        return "body must be a string"
    if not isinstance(event.get("isBase64Encoded", False), bool | None):
        return "isBase64Encoded must be a boolean"
    return None


def _malformed_answer(problem: str) -> dict[str, Any]:
    return {
        "statusCode": HTTPStatus.BAD_REQUEST.value,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": "malformed request event", "problem": problem}),
        "isBase64Encoded": False,
    }


_adapter: ApiAdapter | None = None


def api_adapter() -> ApiAdapter:
    global _adapter
    if _adapter is None:
        _adapter = ApiAdapter(get_runtime)
    return _adapter
