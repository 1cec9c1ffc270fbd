"""HTTP requests (API Gateway REST and HTTP APIs, Lambda function URLs) to answers.

`POST /activities` takes one activity and answers with what became of it, the status from
the policy's table (policy.py): 201 delivered, 400 invalid, 422 rejected by LeadSquared,
429 throttled, 502 keys refused or LeadSquared down, 504 LeadSquared timed out. With
`Prefer: respond-async`, and on `POST /activities/batch`, activities are queued instead
(intake.py). A misconfigured function (a setting or the secret) answers 503 with
`Retry-After`; what is wrong goes to the log only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    LambdaFunctionUrlResolver,
    Response,
)
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster.adapters.api_answers import json_response, outcome_response
from activity_poster.adapters.api_async import enqueue_batch, enqueue_one
from activity_poster.adapters.api_events import (
    _is_json,
    caller_of,
    header,
    malformed_answer,
    malformed_request,
    request_body,
    request_id,
    request_time,
    wants_async,
)
from activity_poster.adapters.intake import Intake
from activity_poster.container import Container, get_container
from activity_poster.credentials import CredentialsError
from activity_poster.deadline import Deadline
from activity_poster.models import MAX_BODY_BYTES, BodyTooLarge, InvalidActivity, decode_json
from activity_poster.observability import logger
from activity_poster.settings import ConfigurationError

ACTIVITIES_PATH = "/activities"
BATCH_PATH = "/activities/batch"
IDEMPOTENCY_HEADER = "idempotency-key"
# API Gateway gives up on an integration after 29 s; answer before it does.
API_DEADLINE_SECONDS = 27.0
_OTHER_METHODS = ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# A misconfiguration is mended by redeploying or fixing the secret (which is read again on
# the next request), not in a second: callers come back after this many seconds.
MISCONFIGURED_RETRY_AFTER = "30"


class EarlyAnswer(Exception):
    """Raised while reading a request to answer it at once (wrong content type, bad JSON)."""

    def __init__(self, response: Response[Any]) -> None:
        self.response = response


def _intake(container: Container) -> Intake:
    if container.intake is None:
        raise ConfigurationError("ACTIVITY_QUEUE_URL is not set: the async mode needs the queue")
    return container.intake


def _build(
    resolver_class: type[ApiGatewayResolver], container: Callable[[], Container]
) -> ApiGatewayResolver:
    app = resolver_class()

    def json_body() -> Any:
        """The decoded JSON body; raises EarlyAnswer for a wrong content type or invalid JSON."""
        event = app.current_event.raw_event
        if not _is_json(header(event, "content-type")):
            raise EarlyAnswer(
                json_response(
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    {"message": "Content-Type must be application/json"},
                )
            )
        try:
            return decode_json(request_body(event))
        except BodyTooLarge:
            message = f"the body is larger than {MAX_BODY_BYTES} bytes"
            raise EarlyAnswer(
                json_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": message})
            ) from None
        except InvalidActivity as error:
            raise EarlyAnswer(outcome_response(container().service.refuse(error))) from None

    @app.post(ACTIVITIES_PATH)
    def post_activity() -> Response[Any]:
        data = json_body()
        event = app.current_event.raw_event
        key_hint = header(event, IDEMPOTENCY_HEADER)
        service = container().service
        if wants_async(header(event, "prefer")):
            return enqueue_one(_intake(container()), service, data, key_hint)
        deadline = Deadline.from_context(app.lambda_context, cap_seconds=API_DEADLINE_SECONDS)
        service.begin_invocation(app.lambda_context)
        outcome = service.submit(
            data,
            key_hint=key_hint,
            deadline=deadline,
            interactive=True,
            sent_at=request_time(event),
            caller=caller_of(event),
        )
        return outcome_response(outcome)

    @app.post(BATCH_PATH)
    def post_batch() -> Response[Any]:
        return enqueue_batch(_intake(container()), json_body())

    @app.route(ACTIVITIES_PATH, method=_OTHER_METHODS)
    @app.route(BATCH_PATH, method=_OTHER_METHODS)
    def other_method() -> Response[Any]:
        return json_response(
            HTTPStatus.METHOD_NOT_ALLOWED,
            {"message": "method not allowed; use POST"},
            headers={"Allow": "POST"},
        )

    @app.exception_handler(EarlyAnswer)  # type: ignore[untyped-decorator]
    def answer(early: EarlyAnswer) -> Response[Any]:
        return early.response

    @app.not_found
    def not_found(_: NotFoundError) -> Response[Any]:
        return json_response(
            HTTPStatus.NOT_FOUND,
            {"message": f"not found; activities are posted to {ACTIVITIES_PATH}"},
        )

    @app.exception_handler([ConfigurationError, CredentialsError])  # type: ignore[untyped-decorator]
    def misconfigured(error: Exception) -> Response[Any]:
        # Settings and secret names are the operator's business, not the caller's.
        logger.error(f"configuration error: {error}", extra={"error_type": type(error).__name__})
        return json_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            {
                "message": "the service is misconfigured; retry later",
                "requestId": request_id(app.current_event.raw_event),
            },
            headers={"Retry-After": MISCONFIGURED_RETRY_AFTER},
        )

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def unexpected(error: Exception) -> Response[Any]:
        logger.exception("unexpected error while handling the request")
        return json_response(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "internal error"})

    return app


class ApiAdapter:
    """One resolver per event format; all share the same routes."""

    def __init__(self, container: Callable[[], Container]) -> None:
        self._resolvers: dict[str, ApiGatewayResolver] = {
            "api_v1": _build(APIGatewayRestResolver, container),
            "api_v2": _build(APIGatewayHttpResolver, container),
            "function_url": _build(LambdaFunctionUrlResolver, container),
        }

    def handle(self, kind: str, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        logger.set_correlation_id(request_id(event))
        problem = malformed_request(event)
        if problem is not None:
            logger.warning("malformed request event", extra={"problem": problem})
            return malformed_answer(problem)
        try:
            return self._resolvers[kind].resolve(event, context)
        except (ConfigurationError, CredentialsError):
            raise
        except Exception:
            # A request event that API Gateway would never send (missing or mistyped parts)
            # still gets an answer rather than an invocation error.
            logger.exception("malformed request event")
            return malformed_answer("unreadable")


@functools.cache
def api_adapter() -> ApiAdapter:
    """One per container: the resolvers and their routes are built once."""
    return ApiAdapter(get_container)
