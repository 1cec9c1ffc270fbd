"""HTTP answers the emulator sends, shaped like LeadSquared's (and its gateway's)."""

import html
import json
from dataclasses import dataclass
from typing import Any, Final

from .config import EmulatorConfig, RateLimit
from .errors import INVALID_INPUT, INVALID_USER, RATE_LIMIT_EXCEEDED, MXError
from .faults import Fault

JSON_TYPE: Final = "application/json; charset=utf-8"
HTML_TYPE: Final = "text/html; charset=utf-8"

# Used by the THROTTLE fault when the bucket itself is unlimited.
FALLBACK_LIMIT: Final = RateLimit(calls=25, window_seconds=5.0)


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()


def json_reply(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return Reply(status, body, JSON_TYPE, headers)


def html_reply(status: int, html: str) -> Reply:
    return Reply(status, html.encode(), HTML_TYPE)


def error_envelope(exception_type: str, message: str) -> dict[str, str]:
    return {"Status": "Error", "ExceptionType": exception_type, "ExceptionMessage": message}


def mx_error(error: MXError, config: EmulatorConfig) -> Reply:
    status = config.app_error_status if error.status is None else error.status
    return json_reply(status, error_envelope(error.exception_type, error.message))


def unauthorized() -> Reply:
    return json_reply(401, error_envelope(INVALID_USER, "Invalid User Details"))


def throttled(limit: RateLimit | None, config: EmulatorConfig) -> Reply:
    """No Retry-After / X-RateLimit headers: LeadSquared sends none."""
    limit = limit or FALLBACK_LIMIT
    return json_reply(
        config.throttle_status, error_envelope(RATE_LIMIT_EXCEEDED, limit.exceeded_message)
    )


def not_found() -> Reply:
    """A path no route matches: an HTML page, never the JSON error envelope."""
    return html_reply(404, "<html><body><h1>Endpoint not found.</h1></body></html>")


def method_not_allowed(allowed: str) -> Reply:
    reply = html_reply(405, "<html><body><h1>Method not allowed.</h1></body></html>")
    return Reply(reply.status, reply.body, reply.content_type, (("Allow", allowed),))


def redirect(location: str) -> Reply:
    """A 302 as a front end sends it (e.g. to another scheme or port), with a small page."""
    href = html.escape(location, quote=True)
    page = (
        "<html><head><title>Object moved</title></head>"
        f'<body><h2>Object moved to <a href="{href}">here</a>.</h2></body></html>'
    )
    return Reply(302, page.encode(), HTML_TYPE, (("Location", location),))


def internal_error(detail: str) -> Reply:
    return json_reply(500, {"Message": "An error has occurred.", "EmulatorError": detail})


def fault_reply(
    fault: Fault, limit: RateLimit | None, config: EmulatorConfig, method: str = "POST"
) -> Reply:
    """The canned answer of a fault that does answer (see `Fault.answers`).

    `method` is the request's verb; a 405 names the other one as allowed.
    """
    match fault:
        case Fault.HTTP_500:
            return json_reply(500, {"Message": "An error has occurred."})
        case Fault.HTTP_502:
            return html_reply(502, _gateway_page("502 Bad Gateway"))
        case Fault.HTTP_503:
            return html_reply(503, _gateway_page("503 Service Temporarily Unavailable"))
        case Fault.NON_JSON_500:
            return html_reply(500, "<html><body>Internal Server Error</body></html>")
        case Fault.STATUS_ERROR_200:
            return json_reply(
                200, error_envelope(INVALID_INPUT, "Invalid Input! Parameter Name: activity")
            )
        case Fault.THROTTLE:
            return throttled(limit, config)
        case Fault.HTML_404:
            return not_found()
        case Fault.METHOD_NOT_ALLOWED_405:
            return method_not_allowed("GET" if method.upper() == "POST" else "POST")
        case Fault.REDIRECT_302:
            return redirect(config.redirect_location)
        case _:
            raise ValueError(f"fault {fault} does not answer")


def _gateway_page(title: str) -> str:
    return (
        f"<html><head><title>{title}</title></head>"
        f"<body><center><h1>{title}</h1></center></body></html>"
    )
