"""Reading SQS records as Lambda hands them over: ids, attributes, the activity's JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from activity_poster.models import decode_json
from activity_poster.observability import logger
from activity_poster.queues import (
    IDEMPOTENCY_ATTRIBUTE,
    MAY_EXIST_ATTRIBUTE,
    PUT_BACK_ATTRIBUTE,
    SENT_AT_ATTRIBUTE,
    is_fifo,
)

SqsRecord = dict[str, Any]


def message_id(record: SqsRecord) -> str:
    return str(record["messageId"])


def text(mapping: Any, *path: str) -> str | None:
    """A string nested in a record, or None if any level is missing or of another type."""
    for key in path:
        mapping = mapping.get(key) if isinstance(mapping, dict) else None
    return mapping if isinstance(mapping, str) and mapping else None


def message_group(record: SqsRecord) -> str | None:
    return text(record, "attributes", "MessageGroupId")


def receives(record: SqsRecord) -> int:
    count = text(record, "attributes", "ApproximateReceiveCount") or "1"
    return int(count) if count.isascii() and count.isdigit() else 1


def idempotency_key(record: SqsRecord) -> str | None:
    return text(record, "messageAttributes", IDEMPOTENCY_ATTRIBUTE, "stringValue")


def sent_at_ms(record: SqsRecord) -> str | None:
    """When the message was first sent, in ms since the epoch: the time a copy carries, or
    SQS's SentTimestamp."""
    value = text(record, "messageAttributes", SENT_AT_ATTRIBUTE, "stringValue") or text(
        record, "attributes", "SentTimestamp"
    )
    return value if value and value.isascii() and value.isdigit() else None


def sent_at(record: SqsRecord) -> datetime | None:
    ms = sent_at_ms(record)
    try:
        return datetime.fromtimestamp(int(ms) / 1000, UTC) if ms else None
    except (OverflowError, ValueError, OSError):
        return None


def put_backs(record: SqsRecord) -> int:
    count = text(record, "messageAttributes", PUT_BACK_ATTRIBUTE, "stringValue") or "0"
    return int(count) if count.isascii() and count.isdigit() else 0


def may_exist(record: SqsRecord) -> bool:
    """Whether an earlier attempt may have created the activity: a copy marked so, or, on a
    FIFO queue (where no copy can be made without breaking the group's order), any
    message received before."""
    if text(record, "messageAttributes", MAY_EXIST_ATTRIBUTE, "stringValue"):
        return True
    return is_fifo(text(record, "eventSourceARN") or "") and receives(record) > 1


def activity_data(record: SqsRecord) -> Any:
    """The record's body as JSON, unwrapped from an SNS envelope; raises InvalidActivity."""
    return unwrap_sns(decode_json(record.get("body")))


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


def identifiable_records(event: dict[str, Any]) -> list[SqsRecord]:
    """Records that can be reported on. One without a messageId cannot be named in the
    answer (naming it wrongly would make Lambda retry the whole batch), so it is logged as an
    error; SQS never sends such a record."""
    kept = []
    for index, record in enumerate(event.get("Records") or []):
        identifier = record.get("messageId") if isinstance(record, dict) else None
        if isinstance(identifier, str) and identifier:
            kept.append(record)
        else:
            logger.error("SQS record without a messageId skipped", extra={"record_index": index})
    return kept
