"""The Lambda entry point: recognise the event, hand it to its adapter.

Adapters are imported on the path that needs them, so an SQS container never loads the
HTTP resolver and an API container never loads the SQS adapter. X-Ray tracing (and its
SDK) is loaded only when the deployment turns it on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster import __version__
from activity_poster.adapters.event_kind import EventKind, event_kind
from activity_poster.metrics import metrics, publish
from activity_poster.observability import logger
from activity_poster.settings import flag

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def _traced(handler: Handler) -> Handler:
    if flag(os.environ.get("POWERTOOLS_TRACE_DISABLED", "true")):
        return handler
    from aws_lambda_powertools import Tracer

    # Responses and errors can carry personal data: traces record timings, not payloads.
    tracer = Tracer()
    traced: Handler = tracer.capture_lambda_handler(
        handler, capture_response=False, capture_error=False
    )
    return traced


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def _handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return _dispatch(event, context)
    finally:
        publish()  # before log_metrics flushes


def _dispatch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = event_kind(event)
    if kind is EventKind.SQS:
        from activity_poster.adapters.sqs import SqsAdapter
        from activity_poster.container import get_container

        container = get_container()
        adapter = SqsAdapter(container.service, container.settings, container.queues)
        return dict(adapter.handle(event, context))
    from activity_poster.adapters.api import api_adapter

    return api_adapter().handle(kind, event, context)


lambda_handler = _traced(_handle)
# Once per container: which version answers, in the first line of its log stream.
logger.info("container started", extra={"version": __version__})
