"""SQS records shaped as Lambda delivers them, for the tests and the benchmark."""

from __future__ import annotations

import json
import uuid
from typing import Any

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:leadsquared-activity-poster-ActivityQueue"


def sqs_record(
    body: Any, message_id: str | None = None, *, queue_arn: str = QUEUE_ARN
) -> dict[str, Any]:
    """One record; `body` is sent as is when it is a string, else as JSON."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEB" + uuid.uuid4().hex,
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1717400000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1717400000001",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }
