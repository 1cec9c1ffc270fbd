"""Builders of SQS and API Gateway events, shaped like the ones AWS sends."""

from __future__ import annotations

import json
import uuid
from typing import Any

from localrun.events import sqs_record

LEAD_ID = "3f2a9c1e-6b7d-4e8f-a1b2-c3d4e5f60718"
OTHER_LEAD_ID = "9d0b7e44-2c1a-4f5e-8b6d-0a1b2c3d4e5f"
UNKNOWN_LEAD_ID = "00000000-0000-0000-0000-000000000000"


def activity(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "RelatedProspectId": LEAD_ID,
        "ActivityEvent": 212,
        "ActivityNote": "Webinar attended",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def sqs_event(*bodies: Any) -> dict[str, Any]:
    return {"Records": [sqs_record(body, f"msg-{i}") for i, body in enumerate(bodies)]}


def sns_envelope(message: Any) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:activities",
        "Message": json.dumps(message),
        "Timestamp": "2025-06-03T09:41:07.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }


def api_v1_event(
    body: Any,
    *,
    method: str = "POST",
    path: str = "/activities",
    content_type: str | None = "application/json",
) -> dict[str, Any]:
    headers = {"x-api-key": "local-api-key"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": 1717407667000,
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "identity": {"sourceIp": "203.0.113.10", "apiKey": "local-api-key"},
        },
        "body": body if isinstance(body, str) or body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def api_v2_event(
    body: Any,
    *,
    method: str = "POST",
    path: str = "/activities",
    stage: str = "$default",
    domain: str = "abcdef1234.execute-api.us-east-1.amazonaws.com",
) -> dict[str, Any]:
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}" if ".lambda-url." not in domain else "$default",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": domain},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": domain.split(".")[0],
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "curl/8.5.0",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {path}",
            "stage": stage,
            "time": "03/Jun/2025:09:41:07 +0000",
            "timeEpoch": 1717407667000,
        },
        "body": body if isinstance(body, str) or body is None else json.dumps(body),
        "isBase64Encoded": False,
    }
