"""Start moto server (Secrets Manager) and the LeadSquared emulator on loopback, seeded.

Used by `make local`, by the tests and by the benchmarks, so all three run the function
against the same stand-ins.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator, EmulatorConfig

REGION = "us-east-1"
SECRET_NAME = "leadsquared/api-keys"

# What boto3 needs to talk to moto: a region and credentials that are never real.
AWS_TEST_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@dataclass(frozen=True)
class Queues:
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


@dataclass(frozen=True)
class LocalStack:
    moto_url: str
    emulator: Emulator

    def function_env(self, secret_id: str = SECRET_NAME) -> dict[str, str]:
        """The environment the function gets from the template, pointed at the stand-ins."""
        return {
            **AWS_TEST_ENV,
            "AWS_ENDPOINT_URL": self.moto_url,
            "LEADSQUARED_API_URL": self.emulator.url,
            "LEADSQUARED_SECRET_ID": secret_id,
            "POWERTOOLS_SERVICE_NAME": "leadsquared-activity-poster",
            "POWERTOOLS_METRICS_NAMESPACE": "LeadSquaredActivityPoster",
            "PYDANTIC_DISABLE_PLUGINS": "__all__",
        }

    def client(self, service: str) -> Any:
        """A boto3 client for `service` on moto."""
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.moto_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def create_queues(
        self,
        name: str,
        *,
        max_receive_count: int = 5,
        visibility_timeout: int = 30,
        fifo: bool = False,
    ) -> Queues:
        """A queue and its dead-letter queue, wired as template.yaml wires them."""
        sqs = self.client("sqs")
        suffix = ".fifo" if fifo else ""
        fifo_attributes = {"FifoQueue": "true"} if fifo else {}
        dlq_url = sqs.create_queue(
            QueueName=f"{name}-dlq{suffix}",
            Attributes={"MessageRetentionPeriod": "1209600", **fifo_attributes},
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
        attributes = {"VisibilityTimeout": str(visibility_timeout), "RedrivePolicy": redrive}
        if fifo:
            attributes |= {**fifo_attributes, "ContentBasedDeduplication": "true"}
        url = sqs.create_queue(QueueName=f"{name}{suffix}", Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return Queues(url=url, arn=arn, dlq_url=dlq_url, dlq_arn=dlq_arn)

    def create_idempotency_table(self, name: str) -> str:
        """The DynamoDB table Powertools Idempotency expects: key `id`, TTL on `expiration`."""
        dynamodb = self.client("dynamodb")
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
        )
        return name

    def create_budget_table(self, name: str) -> str:
        """The account-wide budget's table (as the template creates it): partition `budget`,
        sort key `slot`, TTL on `expires_at`."""
        dynamodb = self.client("dynamodb")
        dynamodb.create_table(
            TableName=name,
            KeySchema=[
                {"AttributeName": "budget", "KeyType": "HASH"},
                {"AttributeName": "slot", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "budget", "AttributeType": "S"},
                {"AttributeName": "slot", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )
        return name

    def put_secret(self, name: str, value: Mapping[str, str] | str) -> str:
        """Create or replace a secret in moto; returns its ARN."""
        client = self.client("secretsmanager")
        text = value if isinstance(value, str) else json.dumps(dict(value))
        try:
            return str(client.create_secret(Name=name, SecretString=text)["ARN"])
        except client.exceptions.ResourceExistsException:
            return str(client.put_secret_value(SecretId=name, SecretString=text)["ARN"])


@contextmanager
def local_stack(config: EmulatorConfig | None = None) -> Iterator[LocalStack]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    emulator = Emulator(config or EmulatorConfig()).start()
    try:
        stack = LocalStack(moto_url=f"http://{host}:{port}", emulator=emulator)
        stack.put_secret(
            SECRET_NAME, {"accessKey": DEFAULT_ACCESS_KEY, "secretKey": DEFAULT_SECRET_KEY}
        )
        yield stack
    finally:
        emulator.stop()
        moto.stop()


def apply_env(env: Mapping[str, str]) -> None:
    os.environ.update(env)
