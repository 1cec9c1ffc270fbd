"""Reading HTTP request events as API Gateway and function URLs send them: headers, body,
request id and time, and what makes an event one they would never send."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from activity_poster.models import MAX_BODY_BYTES, BodyTooLarge, FieldError, InvalidActivity


def header(event: dict[str, Any], name: str) -> str | None:
    """The value of header `name` (any case): from `headers`, else the last of its values in
    `multiValueHeaders` (as API Gateway fills `headers` when it sends both)."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted:
            return str(value)
    for key, values in (event.get("multiValueHeaders") or {}).items():
        if key.lower() == wanted and values:
            return str(values[-1])
    return None


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # no header at all: the body is taken as JSON and validated as such
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def wants_async(prefer: str | None) -> bool:
    """RFC 7240: `Prefer: respond-async` (possibly among other preferences)."""
    tokens = (part.split("=", 1)[0].strip().lower() for part in (prefer or "").split(","))
    return "respond-async" in tokens


def request_body(event: dict[str, Any]) -> str | None:
    """The body as the client sent it, decoded from base64 when API Gateway encoded it;
    raises InvalidActivity (BodyTooLarge when it is too large to be worth decoding)."""
    body = event.get("body")
    if not event.get("isBase64Encoded") or not isinstance(body, str) or not body:
        return body
    if len(body) // 4 * 3 - 2 > MAX_BODY_BYTES:  # 4 characters of base64 per 3 bytes
        raise BodyTooLarge()
    try:
        # Strict: a character outside the base64 alphabet is an error, not skipped.
        data = base64.b64decode(body, validate=True)
    except ValueError:
        raise InvalidActivity([FieldError("(body)", "is not valid base64")]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        message = "is not UTF-8 text once decoded from base64"
        raise InvalidActivity([FieldError("(body)", message)]) from None


def request_id(event: dict[str, Any]) -> str | None:
    """API Gateway's (or the function URL's) id of the request."""
    context = event.get("requestContext")
    value = context.get("requestId") if isinstance(context, dict) else None
    return value if isinstance(value, str) else None


def caller_of(event: dict[str, Any]) -> str:
    """Who sent the request, to scope its idempotency keys: the API key's id where API Gateway
    says (REST APIs with a usage plan), else the API itself."""
    context = event.get("requestContext") or {}
    identity = context.get("identity") if isinstance(context, dict) else None
    key_id = identity.get("apiKeyId") if isinstance(identity, dict) else None
    if isinstance(key_id, str) and key_id:
        return f"api-key:{key_id}"
    api_id = context.get("apiId") if isinstance(context, dict) else None
    return f"api:{api_id}" if isinstance(api_id, str) and api_id else "api"


def request_time(event: dict[str, Any]) -> datetime | None:
    """When API Gateway received the request (REST: requestTimeEpoch; HTTP API and
    function URLs: timeEpoch), in UTC."""
    context = event.get("requestContext") or {}
    epoch_ms = context.get("requestTimeEpoch") or context.get("timeEpoch")
    if not isinstance(epoch_ms, int) or isinstance(epoch_ms, bool):
        return None
    try:
        return datetime.fromtimestamp(epoch_ms / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        return None


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


def malformed_answer(problem: str) -> dict[str, Any]:
    return {
        "statusCode": HTTPStatus.BAD_REQUEST.value,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": "malformed request event", "problem": problem}),
        "isBase64Encoded": False,
    }
