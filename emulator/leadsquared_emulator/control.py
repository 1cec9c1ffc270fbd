"""`/__emulator/...` endpoints, so a CLI-mode emulator can be inspected and steered over HTTP.

They bypass auth, faults, latency and rate limits, and are not recorded in `received`.
Key material is redacted from the request dumps so they are safe to print.
"""

import base64
import json
from dataclasses import asdict
from typing import Any, Final

from . import replies
from .faults import Fault
from .models import Received
from .replies import Reply
from .runtime import Runtime

PREFIX: Final = "/__emulator/"
_REDACTED: Final = "***"
_SECRET_HEADERS: Final = frozenset({"x-lsq-accesskey", "x-lsq-secretkey"})
_SECRET_PARAMS: Final = frozenset({"accesskey", "secretkey"})


def handle_control(runtime: Runtime, method: str, path: str, body: bytes) -> Reply:
    action = path[len(PREFIX) :].strip("/").lower()
    match method, action:
        case "GET", "health":
            return replies.json_reply(200, {"ok": True})
        case "GET", "received":
            return replies.json_reply(200, [received_view(r) for r in runtime.state.received])
        case "GET", "created":
            return replies.json_reply(200, [asdict(a) for a in runtime.state.created])
        case "GET", "leads":
            return replies.json_reply(200, [asdict(lead) for lead in runtime.state.leads])
        case "POST", "reset":
            runtime.reset()
            return replies.json_reply(200, {"ok": True})
        case "POST", "faults":
            return _set_faults(runtime, body)
        case "GET" | "POST", _:
            return replies.json_reply(404, {"error": f"unknown control endpoint {path!r}"})
        case _:
            return replies.method_not_allowed("GET, POST")


def _set_faults(runtime: Runtime, body: bytes) -> Reply:
    """Body: `{"inject": "http_503", "times": 2}` and/or `{"rates": {...}, "seed": 1}`."""
    try:
        spec = json.loads(body or b"{}")
        if not isinstance(spec, dict):
            raise ValueError("body must be a JSON object")
        if "inject" in spec:
            runtime.faults.inject(Fault.parse(str(spec["inject"])), int(spec.get("times", 1)))
        if "rates" in spec:
            rates = {Fault.parse(str(k)): float(v) for k, v in dict(spec["rates"]).items()}
            seed = spec.get("seed")
            runtime.faults.set_rates(rates, None if seed is None else int(seed))
    except (ValueError, TypeError) as error:
        return replies.json_reply(400, {"error": str(error)})
    return replies.json_reply(
        200, {"pending": list(runtime.faults.pending), "rates": runtime.faults.rates}
    )


def received_view(received: Received) -> dict[str, Any]:
    """JSON-safe view of a logged request with access/secret keys redacted."""
    headers = {
        name: _REDACTED if name in _SECRET_HEADERS else value
        for name, value in received.headers.items()
    }
    query = {
        name: [_REDACTED] * len(values) if name.lower() in _SECRET_PARAMS else values
        for name, values in received.query.items()
    }
    try:
        text: str | None = received.body.decode()
    except UnicodeDecodeError:
        text = None
    return {
        "method": received.method,
        "path": received.path,
        "query": query,
        "headers": headers,
        "body": text,
        "body_base64": None if text is not None else base64.b64encode(received.body).decode(),
        "json": received.json,
        "status": received.status,
        "time": received.time,
        "fault": received.fault,
        "client_port": received.client_port,
    }
