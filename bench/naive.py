"""The naive baseline: the handler anyone would write first.

Serial, one message at a time. For each message: decode the body, read the keys from Secrets
Manager (a new client and a fresh GetSecretValue every time), open a new connection (a new
PoolManager per request), POST the activity with the keys in headers, and check `Status`. No
rate limiter, no retries, no validation beyond what LeadSquared does.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import urllib3

CREATE_PATH = "/v2/ProspectActivity.svc/Create"


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An SQS handler with partial batch responses, like the project's."""
    failures = [
        {"itemIdentifier": record["messageId"]}
        for record in event["Records"]
        if not post_one(record["body"])
    ]
    return {"batchItemFailures": failures}


def post_one(body: str) -> bool:
    activity = json.loads(body)
    secrets = boto3.client("secretsmanager")
    secret = secrets.get_secret_value(SecretId=os.environ["LEADSQUARED_SECRET_ID"])
    keys = json.loads(secret["SecretString"])
    http = urllib3.PoolManager()
    try:
        response = http.request(
            "POST",
            os.environ["LEADSQUARED_API_URL"] + CREATE_PATH,
            body=json.dumps(activity).encode(),
            headers={
                "Content-Type": "application/json",
                "x-LSQ-AccessKey": keys["accessKey"],
                "x-LSQ-SecretKey": keys["secretKey"],
            },
            retries=False,
        )
        answer = json.loads(response.data)
    except (urllib3.exceptions.HTTPError, ValueError):
        return False
    finally:
        http.clear()
    return isinstance(answer, dict) and answer.get("Status") == "Success"
