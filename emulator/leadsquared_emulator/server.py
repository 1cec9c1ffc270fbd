"""The HTTP front end: a threaded loopback server and the `Emulator` facade tests drive."""

import contextlib
import json
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import parse_qs, urlsplit

from . import replies
from .api import ApiRequest
from .config import EmulatorConfig
from .control import PREFIX as CONTROL_PREFIX
from .control import handle_control
from .faults import Fault
from .models import CreatedActivity, Headers, Lead, Received
from .replies import Reply, StreamedReply
from .runtime import RequestHook, Runtime

MAX_BODY_BYTES: Final = 16 * 1024 * 1024


class _BodyError(Exception):
    """The request body could not be read as framed (bad length, bad chunking, early EOF)."""


class _Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive so pooled clients behave as against the real API."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_version = "LeadSquaredEmulator/1.0"
    sys_version = ""
    server: "_Server"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: request logging goes through the Emulator's on_request hook instead."""

    def _serve(self) -> None:
        runtime = self.server.runtime
        split = urlsplit(self.path)
        headers = Headers(self.headers.items())
        try:
            body = self._read_body(headers)
        except _BodyError as error:
            self.close_connection = True
            self._send(replies.json_reply(400, {"Message": str(error)}))
            return
        if split.path.startswith(CONTROL_PREFIX):
            self._send(handle_control(runtime, self.command, split.path, body))
            return

        config = runtime.config
        fault = runtime.faults.next()
        request = ApiRequest(
            self.command,
            split.path,
            parse_qs(split.query, keep_blank_values=True),
            headers,
            body,
            self._base_url(headers),
        )
        token = runtime.state.record(
            Received(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=headers,
                body=body,
                json=_try_json(body),
                status=None,
                time=time.monotonic(),
                target=self.path,
                fault=fault,
                client_port=int(self.client_address[1]),
            )
        )
        reply = self._answer(runtime, config, fault, request)
        # Log the status before the bytes go out, so a client that has read its answer
        # always finds it in `received`.
        finished = runtime.state.finish(token, None if reply is None else reply.status)
        if reply is not None and self._send(reply) is None:
            finished = runtime.state.finish(token, None)
        if runtime.on_request is not None and finished is not None:
            runtime.on_request(finished)

    def _answer(
        self, runtime: Runtime, config: EmulatorConfig, fault: Fault | None, request: ApiRequest
    ) -> Reply | StreamedReply | None:
        """Apply latency and the fault (if any); None means hang up without answering."""
        if runtime.pause(config.latency_seconds) or fault is Fault.DROP_CONNECTION:
            self.close_connection = True
            return None
        if fault is not None and fault.answers and not fault.reaches_api:
            route = runtime.api.route(request.path)
            limit = config.limit_for(route.bulk if route is not None else False)
            return replies.fault_reply(fault, limit, config, request.method)
        if fault is Fault.READ_TIMEOUT:
            self._hang_up(runtime, config)
            return None
        reply = self._process(runtime, config, request)
        if fault is Fault.TIMEOUT_AFTER_COMMIT:
            self._hang_up(runtime, config)
            return None
        if fault is Fault.DROP_AFTER_COMMIT:
            self.close_connection = True  # committed, but the answer is never sent
            return None
        if fault is Fault.TRICKLE:
            return replies.trickled(reply, config.trickle_interval_seconds)
        return reply

    def _base_url(self, headers: Headers) -> str:
        """This emulator's URL as the client addressed it (Host), else the bound address."""
        host = headers.get("host", "").strip()
        if not host:
            name = self.server.server_name
            bracketed = f"[{name}]" if ":" in name else name
            host = f"{bracketed}:{self.server.server_port}"
        return f"http://{host}"

    def _hang_up(self, runtime: Runtime, config: EmulatorConfig) -> None:
        """Hold the connection silently (until stop at the latest), then close it."""
        runtime.pause(config.read_timeout_seconds)
        self.close_connection = True

    @staticmethod
    def _process(runtime: Runtime, config: EmulatorConfig, request: ApiRequest) -> Reply:
        try:
            return runtime.api.handle(request, config)
        except Exception as error:  # a bug in the emulator must not kill the connection
            traceback.print_exc(file=sys.stderr)
            return replies.internal_error(repr(error))

    def _send(self, reply: Reply | StreamedReply) -> int | None:
        """Write the answer; its status, or None when it could not be written whole."""
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            length = reply.length if isinstance(reply, StreamedReply) else len(reply.body)
            self.send_header("Content-Length", str(length))
            for name, value in reply.headers:
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if isinstance(reply, StreamedReply):
                if not self._stream(reply):
                    return None
            else:
                self.wfile.write(reply.body)
            self.wfile.flush()
        except OSError:  # the client gave up (timed out) before the end of the answer
            self.close_connection = True
            return None
        return reply.status

    def _stream(self, reply: StreamedReply) -> bool:
        """Write the pieces as they are made; False if the emulator stopped first."""
        runtime = self.server.runtime
        for piece in reply.pieces:
            if reply.interval and runtime.pause(reply.interval):
                self.close_connection = True
                return False
            self.wfile.write(piece)
        return True

    def _read_body(self, headers: Headers) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        raw_length = headers.get("content-length")
        if raw_length is None:
            return b""
        try:
            length = int(raw_length)
        except ValueError:
            raise _BodyError("Invalid Content-Length") from None
        if not 0 <= length <= MAX_BODY_BYTES:
            raise _BodyError("Invalid Content-Length")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BodyError("Request body ended early")
        return body

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BodyError("Invalid chunked encoding") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # skip trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BodyError("Request body too large")
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise _BodyError("Request body ended early")
            chunks.append(chunk)
            self.rfile.readline(1024)


class _Server(ThreadingHTTPServer):
    """Thread per connection; remembers open connections so stop() can cut them off."""

    daemon_threads = True
    block_on_close = False
    # socketserver's default listen backlog is 5: a client opening 25 connections at once
    # would see the extra ones dropped and retried a second later, as no real API host does.
    request_queue_size = 128

    def __init__(self, host: str, port: int, runtime: Runtime) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.runtime = runtime
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        """Skip HTTPServer's reverse-DNS lookup of the host, which can stall startup."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def finish_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        sock = request if isinstance(request, socket.socket) else request[1]
        with self._open_lock:
            self._open.add(sock)
        try:
            super().finish_request(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client resets are routine under fault injection; only report real bugs."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)

    def close_open_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Emulator:
    """A LeadSquared API stand-in on a local port.

    `start()` binds and serves from a daemon thread; `stop()` returns promptly even while
    fault handlers are hanging, because hangs wait on an event that `stop()` sets.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        on_request: RequestHook | None = None,
    ) -> None:
        self._runtime = Runtime(config or EmulatorConfig(), on_request)
        self._host = host
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None or self._runtime.stopping.is_set():
            raise RuntimeError("an Emulator can be started only once")
        self._server = _Server(self._host, self._requested_port, self._runtime)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"leadsquared-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut open connections; safe to call more than once."""
        self._runtime.stopping.set()
        server, self._server = self._server, None
        if server is None:
            return
        stopper = threading.Thread(target=server.shutdown, daemon=True)
        stopper.start()
        # Wake the accept loop now rather than at its next poll (Linux makes a shut-down
        # listening socket readable); elsewhere the poll interval bounds the wait.
        with contextlib.suppress(OSError):
            server.socket.shutdown(socket.SHUT_RDWR)
        stopper.join()
        server.close_open_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def __enter__(self) -> Self:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- address -----------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. `http://127.0.0.1:8701`."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    # -- configuration and faults ------------------------------------------------------------

    @property
    def config(self) -> EmulatorConfig:
        return self._runtime.config

    def configure(self, **changes: Any) -> EmulatorConfig:
        """Change any EmulatorConfig fields at run time; applies to requests arriving after."""
        return self._runtime.configure(**changes)

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Queue `fault` for the next `times` requests (before any probabilistic fault)."""
        self._runtime.faults.inject(fault, times)

    def set_fault_rates(self, rates: Mapping[Fault, float], seed: int | None = None) -> None:
        """Give every request an independent chance of each fault; `{}` turns this off."""
        self._runtime.faults.set_rates(rates, seed)

    def clear_faults(self) -> None:
        self._runtime.faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        return self._runtime.faults.pending

    def reset(self) -> None:
        """Clear received, created, faults, rate windows and added leads; keep the config."""
        self._runtime.reset()

    # -- tenant data -------------------------------------------------------------------------

    def add_lead(
        self,
        lead_id: str,
        email: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        phone: str | None = None,
    ) -> Lead:
        return self._runtime.state.add_lead(
            lead_id, email, first_name=first_name, last_name=last_name, phone=phone
        )

    @property
    def leads(self) -> list[Lead]:
        return self._runtime.state.leads

    def find_lead(self, lead_id: str) -> Lead | None:
        return self._runtime.state.find_lead(lead_id)

    def find_lead_by_email(self, email: str) -> Lead | None:
        return self._runtime.state.find_lead_by_email(email)

    # -- observations ------------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        """Snapshot of every API request so far (control endpoints excluded), arrival order."""
        return self._runtime.state.received

    @property
    def created(self) -> list[CreatedActivity]:
        """Snapshot of the activities committed so far, commit order."""
        return self._runtime.state.created

    def requests_with_keys_in_url(self) -> list[Received]:
        """Requests whose URL carried the configured access or secret key (should be none)."""
        config = self.config
        return [
            r
            for r in self.received
            if r.url_contains(config.access_key) or r.url_contains(config.secret_key)
        ]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until at least `count` API requests have arrived; returns the log."""
        deadline = time.monotonic() + timeout
        while True:
            received = self.received
            if len(received) >= count:
                return received
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(received)} of {count} requests received")
            time.sleep(0.01)


def _try_json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
