"""The activities every measurement posts, and SQS events shaped like Lambda's."""

from __future__ import annotations

from typing import Any

from leadsquared_emulator import PRIMARY_LEAD_ID, SECONDARY_LEAD_ID
from localrun.events import sqs_record


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


def sqs_events(bodies: list[dict[str, Any]], batch_size: int) -> list[dict[str, Any]]:
    """The bodies as successive SQS batches of `batch_size` records (the last may be short)."""
    return [
        {
            "Records": [
                sqs_record(body, f"00000000-0000-4000-8000-{start + offset:012d}")
                for offset, body in enumerate(bodies[start : start + batch_size])
            ]
        }
        for start in range(0, len(bodies), batch_size)
    ]
