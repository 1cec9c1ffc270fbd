"""`make stand-ins`: the LeadSquared emulator and moto, as `events/env.json` names them.

    PYTHONPATH=src:emulator:. python -m localrun.standins [--env-file events/env.json]
        [--host 0.0.0.0]

For `make invoke` (`sam local invoke --env-vars events/env.json`, which runs the function in
Docker): reads the function's variables from the env file, starts the emulator on the port
of LEADSQUARED_API_URL and moto on the port of AWS_ENDPOINT_URL, and creates on moto exactly
what the file names: the secret LEADSQUARED_SECRET_ID (holding the emulator's keys), the
queue ACTIVITY_QUEUE_URL with its dead-letter queue DEAD_LETTER_QUEUE_URL (as the template
wires them), and the tables IDEMPOTENCY_TABLE_NAME and LEADSQUARED_BUDGET_TABLE where they
are set. Then it prints the URLs and serves until Ctrl-C.

Both listen on all interfaces by default, as the function in Docker reaches them through
host.docker.internal, which on Linux is not the loopback address. Nothing here is real: the
credentials are moto's dummies and the emulator holds made-up leads.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import signal
import socket
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from moto.server import ThreadedMotoServer

from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator, EmulatorConfig
from localrun.stack import REGION, LocalStack

ENV_FILE = Path("events/env.json")
FUNCTION = "ActivityPosterFunction"
DEFAULT_HOST = "0.0.0.0"  # noqa: S104 - the function runs in Docker
# The template's defaults: FunctionTimeout 30 s gives a visibility timeout of 6 x 30 + 30 s.
QUEUE_VISIBILITY_TIMEOUT = 210
MAX_RECEIVE_COUNT = 5
DLQ_RETENTION_SECONDS = 1_209_600


class StandInsError(Exception):
    """The env file names something the stand-ins cannot provide; the message says what."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What the env file asks for."""

    emulator_port: int
    moto_port: int
    region: str
    secret_id: str
    queue_name: str
    dlq_name: str
    fifo: bool
    idempotency_table: str
    budget_table: str = ""


def _port(url: str, variable: str) -> int:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StandInsError(f"{variable} is not an http URL: {url!r}")
    return parts.port or (443 if parts.scheme == "https" else 80)


def _queue_name(url: str, variable: str) -> str:
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if not name:
        raise StandInsError(f"{variable} names no queue: {url!r}")
    return name


def read_plan(env: Mapping[str, Any]) -> Plan:
    """The stand-ins the function's variables in `env` point at."""

    def get(name: str) -> str:
        value = env.get(name)
        if not isinstance(value, str) or not value:
            raise StandInsError(f"{name} is not set")
        return value

    fifo = str(env.get("FIFO_QUEUE", "false")).lower() == "true"
    queue_name = _queue_name(get("ACTIVITY_QUEUE_URL"), "ACTIVITY_QUEUE_URL")
    dlq_name = _queue_name(get("DEAD_LETTER_QUEUE_URL"), "DEAD_LETTER_QUEUE_URL")
    for name in (queue_name, dlq_name):
        if name.endswith(".fifo") != fifo:
            raise StandInsError(f"queue {name} does not match FIFO_QUEUE={str(fifo).lower()}")
    return Plan(
        emulator_port=_port(get("LEADSQUARED_API_URL"), "LEADSQUARED_API_URL"),
        moto_port=_port(get("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"),
        region=str(env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or REGION),
        secret_id=get("LEADSQUARED_SECRET_ID"),
        queue_name=queue_name,
        dlq_name=dlq_name,
        fifo=fifo,
        idempotency_table=str(env.get("IDEMPOTENCY_TABLE_NAME") or ""),
        budget_table=str(env.get("LEADSQUARED_BUDGET_TABLE") or ""),
    )


def load_plan(path: Path) -> Plan:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StandInsError(f"cannot read {path}: {error}") from error
    env = document.get(FUNCTION) if isinstance(document, dict) else None
    if not isinstance(env, dict):
        raise StandInsError(f"{path} has no {FUNCTION} object")
    return read_plan(env)


def redrive_command(moto_url: str, dlq_url: str, queue_arn: str, region: str = REGION) -> str:
    """`make redrive` for a dead-letter queue on moto, with the environment it needs."""
    env = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    queues = f"DLQ_URL={shlex.quote(dlq_url)} QUEUE_ARN={shlex.quote(queue_arn)}"
    return f"{assignments} make redrive {queues}"


def _check_free(host: str, port: int, what: str) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StandInsError(
                f"cannot listen on {host}:{port} for {what}: {error.strerror or error} "
                "(are the stand-ins already running? stop them, or free the port)"
            ) from error


@dataclass(frozen=True, slots=True)
class Created:
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str


def create_resources(stack: LocalStack, plan: Plan) -> Created:
    """The secret, the queues (wired as template.yaml wires them) and the tables, on moto."""
    stack.put_secret(
        plan.secret_id, {"accessKey": DEFAULT_ACCESS_KEY, "secretKey": DEFAULT_SECRET_KEY}
    )
    sqs = stack.client("sqs")
    fifo = {"FifoQueue": "true"} if plan.fifo else {}
    dlq_url = sqs.create_queue(
        QueueName=plan.dlq_name,
        Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS), **fifo},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
    attributes = {
        "VisibilityTimeout": str(QUEUE_VISIBILITY_TIMEOUT),
        "RedrivePolicy": json.dumps(redrive),
        **fifo,
    }
    if plan.fifo:
        attributes["ContentBasedDeduplication"] = "true"
    queue_url = sqs.create_queue(QueueName=plan.queue_name, Attributes=attributes)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    if plan.idempotency_table:
        stack.create_idempotency_table(plan.idempotency_table)
    if plan.budget_table:
        stack.create_budget_table(plan.budget_table)
    return Created(queue_url, queue_arn, dlq_url, dlq_arn)


def startup_lines(
    plan: Plan, created: Created, *, emulator_url: str, moto_url: str, env_file: Path
) -> list[str]:
    lines = [
        f"LeadSquared emulator at {emulator_url} (keys: the emulator's defaults)",
        f"moto server at {moto_url} (region {plan.region}, credentials testing/testing)",
        f"secret {plan.secret_id}: the emulator's access key and secret key",
        f"SQS queue {created.queue_url}",
        f"dead-letter queue {created.dlq_url} (MaxReceiveCount {MAX_RECEIVE_COUNT})",
    ]
    if plan.idempotency_table:
        lines.append(f"idempotency table {plan.idempotency_table}")
    if plan.budget_table:
        lines.append(f"budget table {plan.budget_table}")
    lines += [
        f"The function in Docker reaches them as {env_file} says (host.docker.internal):",
        "  make invoke EVENT=events/sqs-batch-valid.json",
        "  make invoke EVENT=events/api-v1-post.json",
        "List and redrive the dead-letter queue:",
        f"  {redrive_command(moto_url, created.dlq_url, created.queue_arn, plan.region)}",
        "Ctrl-C stops.",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localrun.standins",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--env-file", type=Path, default=ENV_FILE, help="default: %(default)s")
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="interface both listen on (default: %(default)s; 127.0.0.1 where Docker reaches "
        "the host's loopback, as Docker Desktop does)",
    )
    args = parser.parse_args(argv)

    try:
        plan = load_plan(args.env_file)
        _check_free(args.host, plan.emulator_port, "the LeadSquared emulator")
        _check_free(args.host, plan.moto_port, "moto")
    except StandInsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    moto = ThreadedMotoServer(ip_address=args.host, port=plan.moto_port, verbose=False)
    moto.start()
    emulator = Emulator(EmulatorConfig(), host=args.host, port=plan.emulator_port).start()
    try:
        local = "[::1]" if ":" in args.host else "127.0.0.1"
        moto_url = f"http://{local}:{plan.moto_port}"
        stack = LocalStack(moto_url=moto_url, emulator=emulator)
        created = create_resources(stack, plan)
        emulator_url = f"http://{local}:{plan.emulator_port}"
        lines = startup_lines(
            plan, created, emulator_url=emulator_url, moto_url=moto_url, env_file=args.env_file
        )
        if args.host not in ("127.0.0.1", "::1", "localhost"):
            lines.insert(
                0, f"listening on {args.host}: other machines on the network can reach both"
            )
        print("\n".join(lines), flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        emulator.stop()
        moto.stop()
    print("stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
