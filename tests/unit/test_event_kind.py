"""Which trigger sent an event, recognised from its shape alone."""

from __future__ import annotations

from typing import Any

import pytest

from activity_poster.adapters.event_kind import EventKind, UnsupportedEvent, event_kind


def sqs_record(message_id: str = "5b1e3f9a-7c2d-4e81-9a6b-0c4d2e8f1a37") -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": "AQEBCx1larOKgnJrgy4i4pfdLk",
        "body": '{"ActivityEvent": 201}',
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-south-1:123456789012:activities",
        "awsRegion": "ap-south-1",
    }


def without_event_source(message_id: str) -> dict[str, Any]:
    record = sqs_record(message_id)
    del record["eventSource"]
    return record


S3_RECORD = {
    "eventVersion": "2.1",
    "eventSource": "aws:s3",
    "eventName": "ObjectCreated:Put",
    "s3": {"bucket": {"name": "uploads"}, "object": {"key": "activities.csv"}},
}

SNS_RECORD = {
    "EventVersion": "1.0",
    "EventSource": "aws:sns",
    "Sns": {"Type": "Notification", "Message": '{"ActivityEvent": 201}'},
}

API_V1 = {
    "resource": "/activities",
    "path": "/activities",
    "httpMethod": "POST",
    "headers": {"Content-Type": "application/json"},
    "requestContext": {"resourcePath": "/activities", "httpMethod": "POST", "stage": "prod"},
    "body": '{"ActivityEvent": 201}',
    "isBase64Encoded": False,
}

HTTP_API_V1_PAYLOAD = {**API_V1, "version": "1.0"}

API_V2 = {
    "version": "2.0",
    "routeKey": "POST /activities",
    "rawPath": "/activities",
    "headers": {"content-type": "application/json"},
    "requestContext": {
        "domainName": "w8n2r5t1y7.execute-api.us-east-1.amazonaws.com",
        "http": {"method": "POST", "path": "/activities"},
        "requestId": "LkZp1jQyoAMEV2g=",
    },
    "body": '{"ActivityEvent": 201}',
    "isBase64Encoded": False,
}

FUNCTION_URL = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/activities",
    "headers": {"content-type": "application/json"},
    "requestContext": {
        "domainName": "abcdefghij1234567890.lambda-url.ap-south-1.on.aws",
        "domainPrefix": "abcdefghij1234567890",
        "http": {"method": "POST", "path": "/activities"},
        "requestId": "c3d4e5f6-0000-4000-8000-000000000001",
    },
    "body": '{"ActivityEvent": 201}',
    "isBase64Encoded": False,
}


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        pytest.param({"Records": [sqs_record()]}, EventKind.SQS, id="sqs-one-record"),
        pytest.param(
            {"Records": [sqs_record("a"), sqs_record("b"), sqs_record("c")]},
            EventKind.SQS,
            id="sqs-batch",
        ),
        # An SQS event source mapping sends nothing but SQS messages: an odd record among
        # them is the SQS adapter's to skip or fail, not a reason to refuse the batch.
        pytest.param(
            {"Records": [sqs_record("a"), without_event_source("b")]},
            EventKind.SQS,
            id="sqs-and-a-record-without-eventSource",
        ),
        pytest.param(
            {"Records": [without_event_source("a"), sqs_record("b")]},
            EventKind.SQS,
            id="a-record-without-eventSource-first",
        ),
        pytest.param(
            {"Records": [sqs_record("a"), {**sqs_record("b"), "eventSource": None}]},
            EventKind.SQS,
            id="sqs-and-a-null-eventSource",
        ),
        pytest.param(
            {"Records": [sqs_record("a"), "not a record", None, 7]},
            EventKind.SQS,
            id="sqs-and-records-that-are-not-objects",
        ),
        pytest.param({"Records": [sqs_record(), S3_RECORD]}, EventKind.SQS, id="sqs-and-s3"),
        pytest.param(API_V1, EventKind.API_V1, id="rest-api"),
        pytest.param(HTTP_API_V1_PAYLOAD, EventKind.API_V1, id="http-api-payload-1.0"),
        pytest.param(API_V2, EventKind.API_V2, id="http-api-payload-2.0"),
        pytest.param(FUNCTION_URL, EventKind.FUNCTION_URL, id="function-url"),
    ],
)
def test_supported_events(event: dict[str, Any], kind: EventKind) -> None:
    assert event_kind(event) is kind


def test_kinds_have_stable_names() -> None:
    assert [kind.value for kind in EventKind] == ["sqs", "api_v1", "api_v2", "function_url"]


@pytest.mark.parametrize(
    ("event", "words"),
    [
        pytest.param({"Records": [S3_RECORD]}, "aws:sqs", id="s3-event"),
        pytest.param({"Records": [SNS_RECORD]}, "aws:sqs", id="sns-records"),
        pytest.param(
            {"Records": [without_event_source("a"), without_event_source("b")]},
            "aws:sqs",
            id="no-record-with-eventSource",
        ),
        pytest.param({"Records": [S3_RECORD, SNS_RECORD]}, "aws:sqs", id="s3-and-sns"),
        pytest.param({"Records": ["aws:sqs", None]}, "aws:sqs", id="no-record-is-an-object"),
        pytest.param({}, "neither an SQS batch", id="empty-object"),
        pytest.param({"Records": []}, "neither an SQS batch", id="no-records"),
        pytest.param({"ActivityEvent": 201}, "ActivityEvent", id="bare-activity"),
        pytest.param(
            {"requestContext": {"stage": "prod"}}, "requestContext", id="context-without-method"
        ),
        pytest.param(
            {"version": "2.0", "requestContext": {"domainName": "x.lambda-url.on.aws"}},
            "neither an SQS batch",
            id="version-2-without-http",
        ),
        pytest.param(
            {"httpMethod": "POST", "path": "/activities"},
            "neither an SQS batch",
            id="method-without-context",
        ),
        pytest.param(
            {"source": "aws.events", "detail-type": "Scheduled Event"},
            "detail-type",
            id="eventbridge",
        ),
        pytest.param([sqs_record()], "got list", id="list"),
        pytest.param("Records", "got str", id="string"),
        pytest.param(None, "got NoneType", id="null"),
    ],
)
def test_unsupported_events(event: Any, words: str) -> None:
    with pytest.raises(UnsupportedEvent) as caught:
        event_kind(event)
    assert words in str(caught.value)
