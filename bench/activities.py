"""The activities every measurement posts, and SQS events shaped like Lambda's."""

from __future__ import annotations

import json
from typing import Any

from leadsquared_emulator import PRIMARY_LEAD_ID, SECONDARY_LEAD_ID

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:leadsquared-activity-poster-ActivityQueue"


def activity_bodies(count: int, *, start: int = 0) -> list[dict[str, Any]]:
    """`count` valid activities on the emulator's two seeded leads, each with a custom field."""
    return [
        {
            "RelatedProspectId": PRIMARY_LEAD_ID if n % 2 == 0 else SECONDARY_LEAD_ID,
            "ActivityEvent": 212,
            "ActivityNote": f"Webinar attended: benchmark activity {n}",
            "ActivityDateTime": "2025-06-03 15:11:07",
            "Fields": [{"SchemaName": "mx_Custom_1", "Value": f"BENCH-{n:06d}"}],
        }
        for n in range(start, start + count)
    ]


def sqs_record(body: dict[str, Any], number: int) -> dict[str, Any]:
    return {
        "messageId": f"00000000-0000-4000-8000-{number:012d}",
        "receiptHandle": f"AQEBbench{number:012d}",
        "body": json.dumps(body),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1717400000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1717400000001",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


def sqs_events(bodies: list[dict[str, Any]], batch_size: int) -> list[dict[str, Any]]:
    """The bodies as successive SQS batches of `batch_size` records (the last may be short)."""
    return [
        {
            "Records": [
                sqs_record(body, start + offset)
                for offset, body in enumerate(bodies[start : start + batch_size])
            ]
        }
        for start in range(0, len(bodies), batch_size)
    ]
