"""SQS batches: each record is delivered on its own; the answer lists those not delivered.

Only a Delivered outcome acknowledges a message. Everything else, an unexpected exception
included, makes the record a batch item failure, so SQS retries it and, after
maxReceiveCount, moves it to the dead-letter queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster.delivery import ActivityPoster
from activity_poster.leadsquared.outcomes import Delivered, Outcome
from activity_poster.models import InvalidActivity, decode_json
from activity_poster.observability import logger


class NotDelivered(Exception):
    """Marks a record as failed; carries the outcome (never the keys or the message body)."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        super().__init__(f"activity {outcome.kind.value}")


def unwrap_sns(data: Any) -> Any:
    """SNS to SQS without raw delivery wraps the payload in a notification envelope."""
    if (
        isinstance(data, dict)
        and data.get("Type") == "Notification"
        and "TopicArn" in data
        and isinstance(data.get("Message"), str)
    ):
        return decode_json(data["Message"])
    return data


def handle_sqs_event(
    event: dict[str, Any], context: LambdaContext | None, poster: ActivityPoster
) -> dict[str, Any]:
    def handle_record(record: SQSRecord) -> str | None:
        logger.append_keys(message_id=record.message_id)
        try:
            try:
                data = unwrap_sns(decode_json(record.body))
            except InvalidActivity as error:
                raise NotDelivered(poster.refuse(error)) from None
            outcome = poster.deliver(data)
            if not isinstance(outcome, Delivered):
                raise NotDelivered(outcome)
            return outcome.activity_id
        except NotDelivered:
            raise
        except Exception:
            logger.exception("unexpected error while handling the message")
            raise
        finally:
            logger.remove_keys(["message_id"])

    # An all-failed batch is answered with every messageId rather than raised as an error:
    # the outcome is the same for SQS, and the function does not report itself as broken.
    processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(
            event=event, record_handler=handle_record, processor=processor, context=context
        )
    )
