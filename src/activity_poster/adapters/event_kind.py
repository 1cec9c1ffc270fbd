"""Recognise which trigger sent an event, from its shape alone."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    SQS = "sqs"
    API_V1 = "api_v1"
    API_V2 = "api_v2"
    FUNCTION_URL = "function_url"


class UnsupportedEvent(Exception):
    """The event is neither an SQS batch nor an HTTP request from API Gateway or a function URL."""


def event_kind(event: Any) -> EventKind:
    if not isinstance(event, dict):
        raise UnsupportedEvent(f"expected an event object, got {type(event).__name__}")
    records = event.get("Records")
    if isinstance(records, list) and records:
        # Only an SQS event source mapping sends a record from aws:sqs, and it sends nothing
        # else: one such record makes the event an SQS batch. An odd record in it (not an
        # object, without eventSource or with another) must not take the good ones down with
        # it: the SQS adapter skips a record without a messageId and fails one it cannot read.
        if any(isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records):
            return EventKind.SQS
        raise UnsupportedEvent("Records hold no SQS message (no record has eventSource aws:sqs)")
    context = event.get("requestContext")
    if isinstance(context, dict):
        if event.get("version") == "2.0" and isinstance(context.get("http"), dict):
            if ".lambda-url." in str(context.get("domainName", "")):
                return EventKind.FUNCTION_URL
            return EventKind.API_V2
        if "httpMethod" in event:
            return EventKind.API_V1
    raise UnsupportedEvent(
        "event is neither an SQS batch nor an API Gateway (REST or HTTP API) or function URL "
        f"request; its top-level keys are {sorted(event)[:10]}"
    )
