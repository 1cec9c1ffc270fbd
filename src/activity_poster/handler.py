"""The Lambda entry point: recognise the event, hand it to its adapter.

Adapters are imported on the path that needs them, so an SQS container never loads the
HTTP resolver and an API container never loads the batch processor.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster.adapters.event_kind import EventKind, event_kind
from activity_poster.observability import logger
from activity_poster.runtime import get_runtime


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = event_kind(event)
    if kind is EventKind.SQS:
        from activity_poster.adapters.sqs import SqsAdapter

        runtime = get_runtime()
        return SqsAdapter(runtime.service, runtime.settings, runtime.queues).handle(event, context)
    from activity_poster.adapters.api import api_adapter

    return api_adapter().handle(kind, event, context)
