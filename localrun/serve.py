"""The function behind a local HTTP API, as API Gateway (REST API, v1 proxy events) runs it.

    PYTHONPATH=src:emulator:. python -m localrun.serve [--port 3000] [--host 127.0.0.1]
        [--api-key KEY | --no-api-key] [--log-level LEVEL]

`sam local start-api` needs Docker; this needs only the virtual environment. It starts the
LeadSquared emulator and moto in-process, creates the activity queue with its dead-letter
queue and the idempotency table on moto, gives the function the environment the template
gives it, and turns each HTTP request into a REST API proxy event for the real
`lambda_handler`. One invocation runs at a time, as in a single Lambda container.

It also plays the template's SQS event source: a background thread polls the activity queue
(`localrun.poller`, the poller the soak test uses) and invokes the same handler on each batch,
so activities queued with `Prefer: respond-async` or `POST /activities/batch` are posted to
the emulator, retried or dead-lettered as in the deployed stack. `make redrive` works on its
dead-letter queue: the startup lines print the command.

Like the deployed API, a request without the configured `x-api-key` header is answered 403
by the gateway itself, before the function sees it.

A request body that is itself a whole API Gateway event (a file from `events/`, sent with
`curl -d @events/api-v1-post.json`) is unwrapped: the function gets the event's body, with
the event's own Content-Type rather than the form type curl sends with `-d`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hmac
import json
import logging
import os
import shlex
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from activity_poster.settings import is_loopback
from localrun import standins
from localrun.context import LocalLambdaContext
from localrun.poller import PollResult, SqsPoller
from localrun.stack import LocalStack, Queues, local_stack

DEFAULT_PORT = 3000
DEFAULT_HOST = "127.0.0.1"
DEFAULT_API_KEY = "local-api-key"
STAGE = "local"
QUEUE_NAME = "leadsquared-activities"
# The template's defaults for the queue and its event source mapping: FunctionTimeout 30 s,
# the queue's visibility timeout 6 x 30 + 30 s, MaxReceiveCount 5, BatchSize 10.
FUNCTION_TIMEOUT_SECONDS = 30.0
QUEUE_VISIBILITY_TIMEOUT = 210
MAX_RECEIVE_COUNT = 5
BATCH_SIZE = 10
POLL_IDLE_SECONDS = 0.2
IDEMPOTENCY_TABLE = "leadsquared-activity-idempotency"
# API Gateway's integration timeout, and its payload limit.
INTEGRATION_TIMEOUT_SECONDS = 29.0
MAX_BODY_BYTES = 10 * 1024 * 1024
EXAMPLE_ACTIVITY = {
    "RelatedProspectId": "3f2a9c1e-6b7d-4e8f-a1b2-c3d4e5f60718",
    "ActivityEvent": 212,
    "ActivityNote": "Posted with curl",
}
# Connection-level headers API Gateway does not pass on to the integration.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "expect", "te", "trailer", "transfer-encoding", "upgrade"}
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Handler = Callable[[dict[str, Any], Any], Any]
HeaderList = list[tuple[str, str]]


# -- requests to events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """The body and Content-Type of an API Gateway event sent as a request body."""

    body: bytes
    content_type: str | None
    kind: str  # "REST API event" or "HTTP API event"


def unwrap_event_body(body: bytes) -> Unwrapped | None:
    """If `body` is a whole API Gateway proxy event (v1 or v2), its own body; else None."""
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        event = json.loads(body)
    except ValueError:
        return None
    if not isinstance(event, dict) or "body" not in event:
        return None
    if "httpMethod" in event:
        kind = "REST API event"
    elif event.get("version") == "2.0" and isinstance(event.get("requestContext"), dict):
        kind = "HTTP API event"
    else:
        return None
    inner = event["body"]
    if inner is None:
        raw = b""
    elif not isinstance(inner, str):
        return None
    elif event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(inner, validate=True)
        except (binascii.Error, ValueError):
            return None
    else:
        raw = inner.encode()
    return Unwrapped(raw, _event_content_type(event), kind)


def _event_content_type(event: Mapping[str, Any]) -> str | None:
    multi = event.get("multiValueHeaders")
    if isinstance(multi, dict):
        for name, values in multi.items():
            if name.lower() == "content-type" and isinstance(values, list) and values:
                return str(values[-1])
    headers = event.get("headers")
    if isinstance(headers, dict):
        for name, value in headers.items():
            if name.lower() == "content-type" and value is not None:
                return str(value)
    return None


def replace_content_type(headers: HeaderList, content_type: str | None, length: int) -> HeaderList:
    """`headers` with the Content-Type (or none) and Content-Length of an unwrapped body."""
    kept = [(n, v) for n, v in headers if n.lower() not in {"content-type", "content-length"}]
    if content_type is not None:
        kept.append(("Content-Type", content_type))
    if length:
        kept.append(("Content-Length", str(length)))
    return kept


def request_event(
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    source_ip: str,
    request_id: str,
    api_key: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """A REST API (v1) proxy event for one HTTP request, as API Gateway builds it.

    `headers` in the order received; names keep the spelling the client sent. `api_key` is
    the key the request was admitted with, if any.
    """
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}  # lower-case name -> first spelling seen
    for name, value in headers:
        if name.lower() in _HOP_BY_HOP:
            continue
        key = spelling.setdefault(name.lower(), name)
        single[key] = value  # API Gateway keeps the last value of a repeated header
        multi.setdefault(key, []).append(value)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query_single: dict[str, str] = {}
    query_multi: dict[str, list[str]] = {}
    for name, value in query:
        query_single[name] = value
        query_multi.setdefault(name, []).append(value)
    try:
        text: str | None = body.decode("utf-8") if body else None
        encoded = False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    now = time.time() if now is None else now
    stamp = time.gmtime(now)
    request_time = (
        f"{stamp.tm_mday:02d}/{_MONTHS[stamp.tm_mon - 1]}/{stamp.tm_year}:"
        f"{stamp.tm_hour:02d}:{stamp.tm_min:02d}:{stamp.tm_sec:02d} +0000"
    )
    lower = {name.lower(): value for name, value in single.items()}
    host = lower.get("host", "localhost")
    # Every path reaches the function, as under a `/{proxy+}` resource, but the resource is
    # named as for the template's routes (the deployed API answers other paths itself, 403).
    resource = path
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": query_single or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": request_time,
            "path": path,
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": host.split(".")[0],
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "cognitoIdentityId": None,
                "apiKey": api_key,
                "principalOrgId": None,
                "cognitoAuthenticationType": None,
                "userArn": None,
                "apiKeyId": "local" if api_key else None,
                "userAgent": lower.get("user-agent"),
                "accountId": None,
                "caller": None,
                "sourceIp": source_ip,
                "accessKey": None,
                "cognitoAuthenticationProvider": None,
                "user": None,
            },
            "domainName": host,
            "deploymentId": "local",
            "apiId": "local",
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


# -- function answers to HTTP responses -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: HeaderList
    body: bytes


def gateway_error(status: HTTPStatus, message: str, error_type: str) -> Answer:
    """An answer API Gateway gives itself, without the function."""
    return Answer(
        status.value,
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)],
        json.dumps({"message": message}).encode(),
    )


def _bad_integration() -> Answer:
    return gateway_error(
        HTTPStatus.BAD_GATEWAY, "Internal server error", "InternalServerErrorException"
    )


def proxy_answer(result: Any) -> Answer:
    """The HTTP response API Gateway makes of a proxy integration's result.

    `headers` and `multiValueHeaders` are merged; a name/value pair in both appears once.
    A result that is not a valid proxy response is a 502, as API Gateway answers it.
    """
    if not isinstance(result, dict):
        return _bad_integration()
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return _bad_integration()
    merged: HeaderList = []
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        return _bad_integration()
    for name, values in multi.items():
        for value in values if isinstance(values, list) else [values]:
            merged.append((str(name), str(value)))
    seen = {(name.lower(), value) for name, value in merged}
    for name, value in single.items():
        if (str(name).lower(), str(value)) not in seen:
            merged.append((str(name), str(value)))
    merged = [(n, v) for n, v in merged if n.lower() not in {"content-length", *_HOP_BY_HOP}]
    if not any(name.lower() == "content-type" for name, _ in merged):
        merged.append(("Content-Type", "application/json"))
    body = result.get("body")
    if body is None:
        raw = b""
    elif not isinstance(body, str):
        return _bad_integration()
    elif result.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return _bad_integration()
    else:
        raw = body.encode()
    return Answer(status, merged, raw)


# -- the gateway ------------------------------------------------------------------------------


class Gateway:
    """API key check, event, one invocation at a time, response: what API Gateway does."""

    def __init__(self, handler: Handler, api_key: str | None) -> None:
        self._handler = handler
        self._api_key = api_key
        self.invocation_lock = threading.Lock()

    def handle(
        self, method: str, target: str, headers: HeaderList, body: bytes, source_ip: str
    ) -> tuple[Answer, str | None]:
        """The response to one request, and a note for the request log (or None)."""
        request_id = str(uuid.uuid4())
        answer, note = self._answer(method, target, headers, body, source_ip, request_id)
        return Answer(
            answer.status, [*answer.headers, ("x-amzn-RequestId", request_id)], answer.body
        ), note

    def _answer(
        self,
        method: str,
        target: str,
        headers: HeaderList,
        body: bytes,
        source_ip: str,
        request_id: str,
    ) -> tuple[Answer, str | None]:
        sent_key = next((v for n, v in headers if n.lower() == "x-api-key"), None)
        if self._api_key is not None and not (
            sent_key is not None and hmac.compare_digest(sent_key.encode(), self._api_key.encode())
        ):
            return gateway_error(HTTPStatus.FORBIDDEN, "Forbidden", "ForbiddenException"), None
        note = None
        unwrapped = unwrap_event_body(body)
        if unwrapped is not None:
            body = unwrapped.body
            headers = replace_content_type(headers, unwrapped.content_type, len(body))
            note = (
                f"body unwrapped from an API Gateway {unwrapped.kind}, "
                f"Content-Type {unwrapped.content_type or '(none)'} taken from the event"
            )
        event = request_event(
            method,
            target,
            headers,
            body,
            source_ip=source_ip,
            request_id=request_id,
            api_key=sent_key,
        )
        with self.invocation_lock:
            context = LocalLambdaContext(
                timeout_seconds=INTEGRATION_TIMEOUT_SECONDS, aws_request_id=request_id
            )
            started = time.monotonic()
            try:
                result = self._handler(event, context.as_lambda_context())
            except Exception:
                # Lambda reports the error; API Gateway answers 502.
                print(f"invocation {request_id} failed:", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
                return _bad_integration(), note
            elapsed = time.monotonic() - started
        if elapsed > INTEGRATION_TIMEOUT_SECONDS:
            timed_out = gateway_error(
                HTTPStatus.GATEWAY_TIMEOUT, "Endpoint request timed out", "TimeoutException"
            )
            return timed_out, note
        return proxy_answer(result), note


# -- HTTP ---------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, gateway: Gateway) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.gateway = gateway
        super().__init__((host, port), _RequestHandler)


class _BodyError(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 answers curl's `Expect: 100-continue` at once instead of after its 1 s wait.
    protocol_version = "HTTP/1.1"
    server_version = "localrun-api"

    def do_GET(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def do_PUT(self) -> None:
        self._relay()

    def do_PATCH(self) -> None:
        self._relay()

    def do_DELETE(self) -> None:
        self._relay()

    def do_HEAD(self) -> None:
        self._relay()

    def do_OPTIONS(self) -> None:
        self._relay()

    def _relay(self) -> None:
        started = time.monotonic()
        gateway = cast(_Server, self.server).gateway
        note = None
        try:
            body = self._read_body()
        except _BodyError as error:
            answer = error.answer
            self.close_connection = True
        else:
            headers = [(name, str(value)) for name, value in self.headers.items()]
            answer, note = gateway.handle(
                self.command, self.path, headers, body, self.client_address[0]
            )
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)
        ms = (time.monotonic() - started) * 1000
        path = urlsplit(self.path).path or "/"  # the query string is not logged
        suffix = f" ({note})" if note else ""
        sys.stderr.write(f"{self.command} {path} {answer.status} {ms:.0f} ms{suffix}\n")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        if not (raw.strip().isascii() and raw.strip().isdigit()):
            raise _BodyError(
                gateway_error(HTTPStatus.BAD_REQUEST, "Bad Request", "BadRequestException")
            )
        length = int(raw)
        if length > MAX_BODY_BYTES:
            raise _BodyError(_too_long())
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise _BodyError(
                    gateway_error(HTTPStatus.BAD_REQUEST, "Bad Request", "BadRequestException")
                ) from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BodyError(_too_long())
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)  # the CRLF after the chunk

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Replaced by the one line `_relay` writes."""

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.client_address[0]}: {format % args}\n")


def _too_long() -> Answer:
    return gateway_error(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Too Long", "RequestTooLongException"
    )


# -- lifecycle ----------------------------------------------------------------------------


class ListenError(Exception):
    """The HTTP server could not bind its address."""


@dataclass(frozen=True, slots=True)
class LocalApi:
    url: str
    api_key: str | None
    stack: LocalStack
    queues: Queues
    idempotency_table: str
    consumer: QueueConsumer | None = None


class QueueConsumer:
    """The event source mapping of the deployed stack, in a thread: polls the activity queue
    and invokes the function on each batch, deleting what it did not report failed.

    Each poll holds `lock`, the gateway's invocation lock, so an SQS batch and an API request
    never run the function at the same time (one container). A poll that finds nothing
    releases it and waits `idle_seconds`.
    """

    def __init__(
        self,
        poller: SqsPoller,
        lock: threading.Lock,
        *,
        idle_seconds: float = POLL_IDLE_SECONDS,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.poller = poller
        self._lock = lock
        self._idle_seconds = idle_seconds
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-sqs-poller", daemon=True)

    def start(self) -> QueueConsumer:
        self._thread.start()
        return self

    def stop(self, timeout: float = INTEGRATION_TIMEOUT_SECONDS + 1) -> None:
        """Stop polling; a batch being processed is finished first (up to `timeout`)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:
                    result = self.poller.poll_once()
            except Exception as error:  # moto going away, a refused call: say so, go on
                self._log(f"SQS poll failed: {type(error).__name__}: {error}")
                self._stop.wait(1.0)
                continue
            if result.invoked:
                self._log(batch_line(result))
            else:
                self._stop.wait(self._idle_seconds)


def batch_line(result: PollResult) -> str:
    """The log line of one SQS batch, beside the request log's: what left the queue
    (delivered, or dead-lettered by the function), what stays for a retry."""
    ms = result.seconds * 1000
    line = f"SQS batch of {result.received}: {result.deleted} deleted, {result.failed} left"
    if result.error is not None:
        return f"{line} (invocation failed: {result.error}) {ms:.0f} ms"
    if result.timed_out:
        return f"{line} (the invocation ran over its timeout) {ms:.0f} ms"
    return f"{line} for a retry {ms:.0f} ms"


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set `values` in os.environ (the function reads it there); put back what was before."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, previous in before.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous


def _base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextmanager
def local_api(
    port: int = DEFAULT_PORT,
    host: str = DEFAULT_HOST,
    api_key: str | None = DEFAULT_API_KEY,
    *,
    poll_queue: bool = True,
) -> Iterator[LocalApi]:
    """Serve the function on `host:port` (0: any free port) from a background thread, and,
    with `poll_queue`, deliver the activity queue's messages from another (QueueConsumer).

    `api_key` None admits every request. The function's environment is set in os.environ
    while serving and put back afterwards.
    """
    gateway = Gateway(_invoke_function, api_key)
    try:  # bind first: a port in use fails before the stack starts
        server = _Server(host, port, gateway)
    except OSError as error:
        raise ListenError(f"cannot listen on {host}:{port}: {error}") from error
    try:
        with local_stack() as stack:
            queues = stack.create_queues(
                QUEUE_NAME,
                max_receive_count=MAX_RECEIVE_COUNT,
                visibility_timeout=QUEUE_VISIBILITY_TIMEOUT,
            )
            table = stack.create_idempotency_table(IDEMPOTENCY_TABLE)
            env = {
                **stack.function_env(),
                "ACTIVITY_QUEUE_URL": queues.url,
                "DEAD_LETTER_QUEUE_URL": queues.dlq_url,
                "IDEMPOTENCY_TABLE_NAME": table,
                "MAX_RECEIVE_COUNT": str(MAX_RECEIVE_COUNT),
            }
            with _environment(env):
                from activity_poster.container import get_container

                get_container.cache_clear()  # a container state built from this environment
                thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.1},
                    name="local-api",
                    daemon=True,
                )
                thread.start()
                consumer = None
                if poll_queue:
                    poller = SqsPoller(
                        stack.client("sqs"),
                        queues.url,
                        queues.arn,
                        _invoke_function,
                        batch_size=BATCH_SIZE,
                        timeout_seconds=FUNCTION_TIMEOUT_SECONDS,
                    )
                    consumer = QueueConsumer(poller, gateway.invocation_lock).start()
                try:
                    yield LocalApi(
                        url=_base_url(host, int(server.server_address[1])),
                        api_key=api_key,
                        stack=stack,
                        queues=queues,
                        idempotency_table=table,
                        consumer=consumer,
                    )
                finally:
                    server.shutdown()
                    thread.join()
                    if consumer is not None:
                        consumer.stop()
                    # Let an invocation in progress finish before its stand-ins go away.
                    if gateway.invocation_lock.acquire(timeout=INTEGRATION_TIMEOUT_SECONDS):
                        gateway.invocation_lock.release()
                    get_container.cache_clear()
    finally:
        server.server_close()


@contextmanager
def serve(
    port: int = DEFAULT_PORT, host: str = DEFAULT_HOST, api_key: str | None = DEFAULT_API_KEY
) -> Iterator[str]:
    """`local_api`, yielding only the base URL, e.g. `http://127.0.0.1:3000`."""
    with local_api(port, host, api_key) as api:
        yield api.url


def _invoke_function(event: dict[str, Any], context: Any) -> Any:
    # Imported on first use: the function's logger reads its settings from the environment.
    from activity_poster.handler import lambda_handler

    return lambda_handler(event, context)


# -- command line -------------------------------------------------------------------------


def redrive_command(api: LocalApi) -> str:
    """`make redrive` for this server's dead-letter queue, with the environment it needs."""
    return standins.redrive_command(api.stack.moto_url, api.queues.dlq_url, api.queues.arn)


def startup_lines(api: LocalApi) -> list[str]:
    key = f"x-api-key: {api.api_key}" if api.api_key is not None else "no API key required"
    key_option = f" -H {shlex.quote('x-api-key: ' + api.api_key)}" if api.api_key else ""
    endpoint = f"{api.url}/activities"
    body = shlex.quote(json.dumps(EXAMPLE_ACTIVITY))
    if api.consumer is not None:
        poller = api.consumer.poller
        delivery = (
            f"SQS poller on {api.queues.url}: batches of {poller.batch_size}, "
            f"{poller.timeout_seconds:.0f} s timeout, as the deployed event source: queued "
            "activities are posted to the emulator, retried, or dead-lettered"
        )
    else:
        delivery = f"SQS queue {api.queues.url} (not polled: queued activities stay there)"
    return [
        f"API on {api.url} ({key})",
        f"LeadSquared emulator at {api.stack.emulator.url}",
        f"moto server at {api.stack.moto_url}",
        delivery,
        f"dead-letter queue {api.queues.dlq_url} (MaxReceiveCount {MAX_RECEIVE_COUNT})",
        f"idempotency table {api.idempotency_table}",
        "Post an activity:",
        f"  curl -X POST {endpoint}{key_option} -H 'Content-Type: application/json' -d {body}",
        "Queue it instead (202 now; the SQS poller posts it):",
        f"  curl -X POST {endpoint}{key_option} -H 'Prefer: respond-async' "
        f"-H 'Content-Type: application/json' -d {body}",
        "Post the body of a whole API Gateway event file (its own Content-Type is used, not the "
        "form type curl -d sends):",
        f"  curl -X POST {endpoint}{key_option} -d @events/api-v1-post.json",
        "List and redrive the dead-letter queue, from another terminal while this runs:",
        f"  {redrive_command(api)}",
        "Requests and SQS batches are logged to stderr, the function's log lines to stdout. "
        "Ctrl-C stops.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localrun.serve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--host", default=DEFAULT_HOST)
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument("--api-key", default=DEFAULT_API_KEY, help="the x-api-key to require")
    keys.add_argument("--no-api-key", action="store_true", help="admit requests without a key")
    parser.add_argument("--log-level", default="INFO", help="the function's log level")
    args = parser.parse_args(argv)

    if not is_loopback(args.host):
        print(
            f"warning: {args.host} is not a loopback address; other machines can reach the API",
            file=sys.stderr,
        )
    # Read by the function's logger when it is imported, on the first request.
    os.environ["POWERTOOLS_LOG_LEVEL"] = args.log_level.upper()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    # Powertools warns on every request that records no metric (a 405, a 404): noise here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():  # a second Ctrl-C while stopping: give up on a clean stop
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        with local_api(args.port, args.host, None if args.no_api_key else args.api_key) as api:
            print("\n".join(startup_lines(api)), flush=True)
            while not stop.wait(0.2):
                pass
            print("stopping", file=sys.stderr, flush=True)
    except ListenError as error:
        print(error, file=sys.stderr)
        return 1
    print("stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
