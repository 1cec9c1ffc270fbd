"""FIFO queues: a failure holds back the rest of its message group; other groups go on."""

from __future__ import annotations

from leadsquared_emulator import Emulator
from tests.integration.events import UNKNOWN_LEAD_ID, activity, sqs_record

FIFO_ARN = "arn:aws:sqs:us-east-1:123456789012:activities.fifo"


def fifo_record(body: dict, message_id: str, group: str) -> dict:
    record = sqs_record(body, message_id)
    record["eventSourceARN"] = FIFO_ARN
    record["attributes"] |= {
        "MessageGroupId": group,
        "MessageDeduplicationId": message_id,
        "SequenceNumber": "1",
    }
    return record


def test_a_failure_holds_back_its_group_only(invoke, emulator: Emulator):
    event = {
        "Records": [
            fifo_record(activity(ActivityNote="a1"), "a1", "lead-a"),
            fifo_record(activity(ActivityNote="b1"), "b1", "lead-b"),
            fifo_record(
                activity(ActivityNote="a2", RelatedProspectId=UNKNOWN_LEAD_ID), "a2", "lead-a"
            ),
            fifo_record(activity(ActivityNote="b2"), "b2", "lead-b"),
            fifo_record(activity(ActivityNote="a3"), "a3", "lead-a"),
        ]
    }

    answer = invoke(event)

    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    assert sorted(failed) == ["a2", "a3"]
    # a3 was never sent: posting it before a2 would break the group's order.
    assert [c.body["ActivityNote"] for c in emulator.created] == ["a1", "b1", "b2"]
