"""Move dead-lettered activity messages back to the activity queue, after a look at why.

    python -m operations.redrive --stack NAME [--reason REASON ...] [--delete] [--yes]
    python -m operations.redrive --dlq-url URL --queue-arn ARN [--rate N] [--manual] [...]

Always lists the dead-letter queue first, grouped by failure reason (the message attribute
ErrorType, or "none" for messages SQS moved itself after maxReceiveCount), with whether moving
each group back can succeed, without removing anything. Once confirmed (a `y` at the prompt,
or --yes), it moves the messages back at a rate the LeadSquared plan allows: all of them with
an SQS message move task, or, with --manual or where message move tasks are not available, by
receiving, sending and deleting them itself. --reason moves only the groups named (several
allowed); --delete --reason deletes those groups instead, for good.

The region is --region, else the queue ARN's, else AWS_REGION, else the AWS configuration's
(AWS_DEFAULT_REGION, the profile). Every error is one line on stderr that says what to do.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        MessageAttributeValueTypeDef,
        MessageTypeDef,
        SendMessageRequestTypeDef,
        StartMessageMoveTaskRequestTypeDef,
    )

# The attributes the function sets when it dead-letters a message itself (queues.py).
REASON_ATTRIBUTES = frozenset(
    {"ErrorType", "ErrorMessage", "OriginalMessageId", "ReceiveCount", "FailedAt", "SourceQueue"}
)
# The group of messages SQS moved itself after maxReceiveCount: they carry no ErrorType.
NO_REASON = "none"
# ErrorTypes the function records (activity_poster.policy): its own validation refused the
# activity, or it was never tried for lack of time. LeadSquared's rejections are MX...Exception.
INVALID_ACTIVITY = "InvalidActivity"
NOT_TRIED = "NotTried"
KEY_REUSED = "IdempotencyKeyReused"
CAN_SUCCEED = "can succeed"
FAILS_AGAIN = "fails again unless the cause was fixed"
NO_REGION = "no AWS region: set AWS_REGION or pass --region (make redrive ... REGION=eu-west-1)"
DEFAULT_PLAN_LIMIT = "25/5s"
MAX_RATE = 500  # SQS's ceiling for MaxNumberOfMessagesPerSecond
SCAN_CAP = 10_000  # messages listed at most when --limit is not given
SCAN_VISIBILITY = 60  # seconds a listed message stays hidden if it cannot be released
MOVE_VISIBILITY = 60  # seconds a message being moved by --manual stays hidden
STACK_OUTPUTS = ("DeadLetterQueueUrl", "DeadLetterQueueArn", "ActivityQueueArn")
# Error codes meaning "this endpoint does not do message move tasks".
UNSUPPORTED_CODES = frozenset(
    {
        "UnsupportedOperation",
        "InvalidAction",
        "UnknownOperation",
        "UnknownOperationException",
        "NotImplemented",
        "NotImplementedException",
    }
)
_PLAN_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")
_SAMPLE_WIDTH = 48


# -- pure parts ------------------------------------------------------------------------------


def parse_plan_limit(text: str) -> tuple[int, float]:
    """'25/5s' -> (25, 5.0): calls per window of seconds; ValueError on anything else."""
    match = _PLAN_RE.match(text)
    if not match or int(match[1]) <= 0 or float(match[2]) <= 0:
        raise ValueError(f"expected CALLS/SECONDS such as 25/5s, got {text!r}")
    return int(match[1]), float(match[2])


def default_rate(plan_limit: str) -> int:
    """Messages per second for a plan limit: calls / seconds, rounded down, at least 1."""
    calls, seconds = parse_plan_limit(plan_limit)
    return min(MAX_RATE, max(1, math.floor(calls / seconds)))


def _string_attribute(message: MessageTypeDef, name: str) -> str:
    value = message.get("MessageAttributes", {}).get(name)
    return value.get("StringValue", "") if value else ""


def reason_of(message: MessageTypeDef) -> str:
    """The ErrorType the function recorded, or NO_REASON for a message SQS moved itself."""
    return _string_attribute(message, "ErrorType") or NO_REASON


def can_succeed(reason: str) -> bool:
    """Whether messages of this group can go through when moved back as they are.

    Messages SQS moved itself (retries ran out) and messages never tried for lack of time
    can; a refusal, ours or LeadSquared's, is made again unless its cause was fixed.
    """
    return reason in (NO_REASON, NOT_TRIED)


def verdict(reason: str) -> str:
    """The listing's "if moved back" column."""
    return CAN_SUCCEED if can_succeed(reason) else FAILS_AGAIN


def hint_for(reason: str) -> str:
    """What moving a message with this failure reason back to the queue will do."""
    if reason == NO_REASON:
        return (
            "no reason recorded: SQS moved these itself after maxReceiveCount receives "
            "(LeadSquared throttling or unavailable, keys refused, a misconfiguration, or the "
            "function failing); they can succeed once that is over or fixed"
        )
    if reason == NOT_TRIED:
        return (
            "never tried: the invocation had too little time left for a call, several times; "
            "they can succeed as they are (if there are many, raise FunctionTimeout or lower "
            "BatchSize first)"
        )
    if reason == INVALID_ACTIVITY:
        return (
            "invalid input: the body is moved unchanged, so it fails again unless the "
            "function's validation changed; otherwise fix the producer and send a corrected one"
        )
    if reason == KEY_REUSED:
        return (
            "the idempotency key was used before for a different activity: fails again, as the "
            "key is moved with the message; have the producer send it with a key of its own"
        )
    if reason.startswith("MX"):
        return (
            "rejected by LeadSquared: fails again unless the cause was fixed in LeadSquared "
            "(the lead, activity type or custom field now exists, the value is now allowed)"
        )
    if reason.startswith("HTTP"):
        return "refused by LeadSquared: fails again unless the cause was fixed"
    return "fails again unless its cause was fixed"


def _failed_at(message: MessageTypeDef) -> datetime | None:
    text = _string_attribute(message, "FailedAt")
    try:
        when = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return when.astimezone(UTC) if when and when.tzinfo else when


def _sent_at(message: MessageTypeDef) -> datetime | None:
    millis = message.get("Attributes", {}).get("SentTimestamp", "")
    return datetime.fromtimestamp(int(millis) / 1000, UTC) if millis.isdigit() else None


@dataclass(frozen=True, slots=True)
class ReasonGroup:
    reason: str
    count: int
    sample_error: str
    oldest: datetime | None
    # True: `oldest` is a FailedAt; False: when the message was first sent (SQS keeps that
    # time when it dead-letters a message, and records no failure time).
    oldest_is_failure: bool
    hint: str

    @property
    def verdict(self) -> str:
        return verdict(self.reason)


def group_by_reason(messages: Iterable[MessageTypeDef]) -> list[ReasonGroup]:
    """Group dead letters by ErrorType, largest group first."""
    members: dict[str, list[MessageTypeDef]] = {}
    for message in messages:
        members.setdefault(reason_of(message), []).append(message)
    groups = []
    for reason, group in members.items():
        failures = [t for t in map(_failed_at, group) if t]
        sent = [t for t in map(_sent_at, group) if t]
        sample = next((s for m in group if (s := _string_attribute(m, "ErrorMessage"))), "")
        groups.append(
            ReasonGroup(
                reason=reason,
                count=len(group),
                sample_error=sample,
                oldest=min(failures or sent, default=None),
                oldest_is_failure=bool(failures),
                hint=hint_for(reason),
            )
        )
    return sorted(groups, key=lambda g: (-g.count, g.reason))


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def format_report(
    groups: Sequence[ReasonGroup],
    *,
    dlq_url: str,
    approximate_total: int | None,
    capped: bool,
    how_to_choose: bool = True,
) -> str:
    """The dry run's printout: a table of groups (count, reason, whether moving it back can
    succeed, oldest, sample error), then one hint per group, then how to pick groups."""
    listed = sum(g.count for g in groups)
    about = "" if approximate_total is None else f" (SQS counts about {approximate_total})"
    lines = [f"Dead-letter queue {dlq_url}", f"{listed} messages listed{about}; none removed."]
    if capped:
        lines.append("The listing stopped at --limit; the rest is not shown.")
    elif approximate_total is not None and approximate_total > listed:
        lines.append(
            "SQS counts more than were listed: some are in flight elsewhere, or (FIFO) wait "
            "behind their message group's first messages. A move takes them all."
        )
    if not groups:
        return "\n".join(lines)
    rows = [["count", "reason", "if moved back", "oldest (UTC)", "sample error message"]]
    for g in groups:
        when = "-"
        if g.oldest:
            when = f"{g.oldest:%Y-%m-%d %H:%M:%S} {'failed' if g.oldest_is_failure else 'sent'}"
        sample = _shorten(g.sample_error, _SAMPLE_WIDTH) or "-"
        rows.append([str(g.count), g.reason, g.verdict, when, sample])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rows.insert(1, ["-" * w for w in widths])
    lines.append("")
    for row in rows:
        cells = [row[0].rjust(widths[0])]
        cells += [c.ljust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    lines += ["", "If moved back:"]
    for g in groups:
        lines.append(
            textwrap.fill(
                f"{g.reason}: {g.hint}", 100, initial_indent="  - ", subsequent_indent="    "
            )
        )
    if how_to_choose:
        lines += [
            "",
            "Only some groups: --reason REASON, as the table names it (several allowed).",
            "Delete a group instead: --delete --reason REASON (asks first).",
        ]
    return "\n".join(lines)


def _sqs_arn_parts(arn: str) -> tuple[str, str, str]:
    """arn:aws:sqs:REGION:ACCOUNT:NAME -> (region, account, name)."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not parts[5]:
        raise ValueError(f"not an SQS queue ARN: {arn!r}")
    return parts[3], parts[4], parts[5]


def move_task_request(
    dlq_arn: str, queue_arn: str, rate: int
) -> StartMessageMoveTaskRequestTypeDef:
    """StartMessageMoveTask parameters: from the DLQ to the queue, `rate` messages a second."""
    _sqs_arn_parts(dlq_arn)
    _sqs_arn_parts(queue_arn)
    if dlq_arn == queue_arn:
        raise ValueError("the dead-letter queue and the destination queue are the same queue")
    if not 1 <= rate <= MAX_RATE:
        raise ValueError(f"the rate must be between 1 and {MAX_RATE} messages per second")
    return {"SourceArn": dlq_arn, "DestinationArn": queue_arn, "MaxNumberOfMessagesPerSecond": rate}


def forward_request(message: MessageTypeDef, queue_url: str) -> SendMessageRequestTypeDef:
    """SendMessage parameters putting a dead letter back on `queue_url`.

    The body and the message attributes are kept, minus the reason attributes. On a FIFO queue
    the message keeps its group, and its deduplication id is the original message's id, so
    sending it twice (a run interrupted between send and delete) delivers it once.
    """
    attributes: dict[str, MessageAttributeValueTypeDef] = {}
    for name, value in message.get("MessageAttributes", {}).items():
        if name in REASON_ATTRIBUTES:
            continue
        kept: MessageAttributeValueTypeDef = {"DataType": value["DataType"]}
        if "StringValue" in value:
            kept["StringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            kept["BinaryValue"] = value["BinaryValue"]
        attributes[name] = kept
    request: SendMessageRequestTypeDef = {"QueueUrl": queue_url, "MessageBody": message["Body"]}
    if attributes:
        request["MessageAttributes"] = attributes
    if queue_url.endswith(".fifo"):
        system = message.get("Attributes", {})
        original_id = _string_attribute(message, "OriginalMessageId") or message["MessageId"]
        request["MessageGroupId"] = system.get("MessageGroupId") or "redriven"
        request["MessageDeduplicationId"] = original_id[:128]
    return request


def is_unsupported(error: ClientError) -> bool:
    """True when the endpoint does not do message move tasks (rather than refusing this one).

    That is an UnsupportedOperation / unknown-action code, HTTP 501, or an answer without an
    AWS error code at all (only a status, as emulators give for operations they lack), unless
    it is a gateway error (502-504), which says nothing about the operation.
    """
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code.removeprefix("AWS.SimpleQueueService.") in UNSUPPORTED_CODES or status == 501:
        return True
    return code.isdigit() and status not in (502, 503, 504)


def error_text(error: BaseException) -> str:
    """One line about an AWS error, without an HTML page an emulator may have sent."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", "")) or "error"
        message = str(details.get("Message", "")).strip()
        if code.isdigit():
            code = f"HTTP {code} without an AWS error code"
        if not message or message.startswith("<"):
            return f"{error.operation_name}: {code}"
        return f"{error.operation_name}: {code}: {_shorten(message, 200)}"
    return _shorten(str(error), 200) or type(error).__name__


_NO_QUEUE_CODES = frozenset(
    {"AWS.SimpleQueueService.NonExistentQueue", "NonExistentQueue", "QueueDoesNotExist"}
)
_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "AuthorizationError"})
_BAD_CREDENTIALS_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "RequestExpired",
    }
)


def explain(error: BaseException, *, region: str | None = None, stack: str | None = None) -> str:
    """One line: what went wrong, and what to do about it."""
    where = f" ({region})" if region else ""
    if isinstance(error, NoRegionError):
        return NO_REGION
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return (
            "no AWS credentials: set AWS_PROFILE (after `aws sso login` or `aws configure`), "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(error, ProfileNotFound):
        return f"{error}: set AWS_PROFILE to a profile `aws configure list-profiles` shows"
    if isinstance(error, EndpointConnectionError):
        return (
            f"cannot reach {error.kwargs.get('endpoint_url', 'AWS')}: check the network and "
            f"the region{where}; for local stand-ins, AWS_ENDPOINT_URL"
        )
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        message = str(details.get("Message", ""))
        if error.operation_name == "DescribeStacks" and "does not exist" in message:
            named = f"no stack {stack}" if stack else "no such stack"
            return (
                f"{named} in this region{where}: check STACK (the stack name `sam deploy` "
                "used) and the region (AWS_REGION or --region)"
            )
        if code in _NO_QUEUE_CODES:
            return (
                f"{error_text(error)}: no such queue{where}; check --dlq-url and --queue-arn "
                "(or the stack's outputs) and the region"
            )
        if code in _DENIED_CODES:
            return (
                f"{error_text(error)}: these credentials may not do this; the permissions the "
                "command needs are listed in README.md, Redriving the dead-letter queue"
            )
        if code in _BAD_CREDENTIALS_CODES:
            return (
                f"{error_text(error)}: the AWS credentials are expired or not valid here; "
                "renew them (`aws sso login`, or new keys) and run again"
            )
    return error_text(error)


def resolve_region(
    explicit: str | None,
    queue_arn: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> str | None:
    """--region, else the queue ARN's region, else AWS_REGION, else boto3's configuration
    (AWS_DEFAULT_REGION, the profile's region); None when nothing names one."""
    if explicit:
        return explicit
    if queue_arn:
        try:
            region = _sqs_arn_parts(queue_arn)[0]
        except ValueError:
            region = ""
        if region:
            return region
    if environ.get("AWS_REGION"):
        return environ["AWS_REGION"]
    return boto3.session.Session().region_name or None


@dataclass(frozen=True, slots=True)
class Targets:
    dlq_url: str
    dlq_arn: str
    queue_arn: str


def targets_from_outputs(outputs: Iterable[Mapping[str, Any]]) -> Targets:
    """Targets from a CloudFormation stack's outputs (describe_stacks' Outputs list)."""
    values = {str(o.get("OutputKey")): str(o.get("OutputValue", "")) for o in outputs}
    missing = [name for name in STACK_OUTPUTS if not values.get(name)]
    if missing:
        raise ValueError(
            f"the stack has no output {', '.join(missing)}: name a stack deployed from this "
            "project's template.yaml, or pass --dlq-url and --queue-arn"
        )
    return Targets(
        dlq_url=values["DeadLetterQueueUrl"],
        dlq_arn=values["DeadLetterQueueArn"],
        queue_arn=values["ActivityQueueArn"],
    )


class Pacer:
    """Spaces calls at least 1/rate seconds apart; a slow call is not made up for by a burst."""

    def __init__(
        self,
        rate: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        now = self._clock()
        if self._next is not None and self._next > now:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self._interval


# -- AWS calls -------------------------------------------------------------------------------


def queue_url_of(sqs: SQSClient, arn: str) -> str:
    """The URL of the queue with this ARN (raises if there is no such queue)."""
    _, account, name = _sqs_arn_parts(arn)
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def queue_arn_of(sqs: SQSClient, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def approximate_count(sqs: SQSClient, url: str) -> int | None:
    try:
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])
    except (ClientError, BotoCoreError, KeyError, ValueError):
        return None


def redrive_note(sqs: SQSClient, queue_url: str, dlq_arn: str) -> str | None:
    """A warning when the queue does not dead-letter to this DLQ (swapped or mixed-up queues)."""
    try:
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
        policy = json.loads(attributes.get("Attributes", {}).get("RedrivePolicy", "{}"))
    except (ClientError, BotoCoreError, ValueError):
        return None
    target = policy.get("deadLetterTargetArn") if isinstance(policy, dict) else None
    if target == dlq_arn:
        return None
    where = f"to {target}" if target else "nowhere (it has no redrive policy)"
    return f"{queue_url} sends its dead letters {where}, not to this dead-letter queue."


def _receive(sqs: SQSClient, url: str, count: int, visibility: int) -> list[MessageTypeDef]:
    # A long poll (1 s) asks every SQS server; a short one may answer "empty" wrongly.
    return sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=count,
        VisibilityTimeout=visibility,
        WaitTimeSeconds=1,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    ).get("Messages", [])


def release(sqs: SQSClient, url: str, receipt_handles: Sequence[str]) -> int:
    """Make received messages visible again at once; returns how many could not be."""
    failed = 0
    for start in range(0, len(receipt_handles), 10):
        chunk = receipt_handles[start : start + 10]
        try:
            answer = sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                    for i, h in enumerate(chunk)
                ],
            )
            failed += len(answer.get("Failed", []))
        except (ClientError, BotoCoreError):
            failed += len(chunk)
    return failed


@dataclass(frozen=True, slots=True)
class Scan:
    messages: list[MessageTypeDef]
    capped: bool
    not_released: int


def scan(sqs: SQSClient, dlq_url: str, *, cap: int, visibility: int = SCAN_VISIBILITY) -> Scan:
    """Receive up to `cap` distinct messages without deleting any, then release them.

    Each message stays hidden while the listing goes on, so it is counted once (and is
    deduplicated by MessageId should it reappear), and is made visible again at the end. On a
    FIFO queue only the first messages of each message group can be seen this way.
    """
    seen: dict[str, MessageTypeDef] = {}
    handles: dict[str, str] = {}
    capped = False
    try:
        while True:
            messages = _receive(sqs, dlq_url, 10, visibility)
            for m in messages:
                handles[m["MessageId"]] = m["ReceiptHandle"]
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                break
            for m in fresh:
                if len(seen) < cap:
                    seen[m["MessageId"]] = m
                else:
                    capped = True
            if len(seen) >= cap:
                capped = capped or bool(_receive(sqs, dlq_url, 1, 0))
                break
    finally:
        not_released = release(sqs, dlq_url, list(handles.values()))
    return Scan(list(seen.values()), capped, not_released)


@dataclass(frozen=True, slots=True)
class Moved:
    count: int
    seconds: float  # until the last message moved (the final empty receive not counted)
    error: str | None = None


def move_manually(
    sqs: SQSClient,
    dlq_url: str,
    queue_url: str,
    *,
    pacer: Pacer,
    rate: int,
    limit: int | None = None,
    progress: Callable[[int], None] = lambda _: None,
) -> Moved:
    """Receive from the DLQ, send to the queue, delete from the DLQ, one message per pacer tick.

    Stops at the first error, so a queue that refuses messages does not empty the DLQ into
    nowhere; what was not moved stays in the DLQ.
    """
    started = finished = time.monotonic()
    moved = 0
    per_receive = max(1, min(10, rate))  # about a second's worth: none waits long in flight
    try:
        while limit is None or moved < limit:
            wanted = per_receive if limit is None else min(per_receive, limit - moved)
            messages = _receive(sqs, dlq_url, wanted, MOVE_VISIBILITY)
            if not messages:
                break
            for message in messages:
                pacer.wait()
                sqs.send_message(**forward_request(message, queue_url))
                sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
                finished = time.monotonic()
                progress(moved)
    except (ClientError, BotoCoreError) as error:
        return Moved(moved, finished - started, explain(error))
    except KeyboardInterrupt:
        return Moved(moved, finished - started, "interrupted")
    return Moved(moved, finished - started)


def move_to(sqs: SQSClient, dlq_url: str, queue_url: str) -> Callable[[MessageTypeDef], None]:
    """An action for `by_reason`: send the message to the queue, then delete it from the DLQ."""

    def move(message: MessageTypeDef) -> None:
        sqs.send_message(**forward_request(message, queue_url))
        sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])

    return move


def delete_from(sqs: SQSClient, dlq_url: str) -> Callable[[MessageTypeDef], None]:
    """An action for `by_reason`: delete the message from the DLQ, for good."""

    def delete(message: MessageTypeDef) -> None:
        sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])

    return delete


def by_reason(
    sqs: SQSClient,
    dlq_url: str,
    reasons: AbstractSet[str],
    action: Callable[[MessageTypeDef], None],
    *,
    pacer: Pacer | None = None,
    limit: int | None = None,
    progress: Callable[[int], None] = lambda _: None,
) -> Moved:
    """Apply `action` (move_to, delete_from) to the DLQ's messages whose reason is in
    `reasons`, one per pacer tick, at most `limit` of them; leave the others where they are.

    The others stay hidden while the run goes on, so each is passed over once, and are made
    visible again at the end, whatever happens. Stops at the first error. On a FIFO queue a
    message waiting behind one of another reason in its message group is not reached.
    """
    started = finished = time.monotonic()
    done = 0
    passed_over: dict[str, str] = {}  # message id -> receipt handle
    try:
        while limit is None or done < limit:
            messages = _receive(sqs, dlq_url, 10, MOVE_VISIBILITY)
            if not messages:
                break
            for message in messages:
                if reason_of(message) not in reasons or (limit is not None and done >= limit):
                    passed_over[message["MessageId"]] = message["ReceiptHandle"]
                    continue
                if pacer is not None:
                    pacer.wait()
                action(message)
                done += 1
                finished = time.monotonic()
                progress(done)
    except (ClientError, BotoCoreError) as error:
        return Moved(done, finished - started, explain(error))
    except KeyboardInterrupt:
        return Moved(done, finished - started, "interrupted")
    finally:
        release(sqs, dlq_url, list(passed_over.values()))
    return Moved(done, finished - started)


def running_task(sqs: SQSClient, dlq_arn: str) -> str | None:
    """The handle of a message move task running on the DLQ, if one can be seen."""
    try:
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    except (ClientError, BotoCoreError):
        return None
    return next((t.get("TaskHandle", "?") for t in tasks if t.get("Status") == "RUNNING"), None)


# -- command line ----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line that says what to do (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (python -m operations.redrive --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m operations.redrive",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_argument_group("queues (either --stack, or --dlq-url and --queue-arn)")
    where.add_argument("--stack", metavar="NAME", help="read the queues from this stack's outputs")
    where.add_argument("--dlq-url", metavar="URL", help="the dead-letter queue's URL")
    where.add_argument("--queue-arn", metavar="ARN", help="the ARN of the queue to move to")
    parser.add_argument(
        "--reason",
        action="append",
        metavar="REASON",
        help="only the group with this reason, as the listing names it (an ErrorType, or "
        f"{NO_REASON!r}); repeat for several. Moves with receive / send / delete",
    )
    parser.add_argument(
        "--delete",
        action="store_true",
        help="delete the groups --reason names instead of moving them back (asks first)",
    )
    parser.add_argument(
        "--plan-limit",
        default=DEFAULT_PLAN_LIMIT,
        metavar="CALLS/SECONDS",
        help="LeadSquared plan limit for standard APIs; the default rate derives from it "
        f"(default {DEFAULT_PLAN_LIMIT}, i.e. 5 messages/s)",
    )
    parser.add_argument(
        "--rate", type=int, metavar="N", help=f"messages per second, 1 to {MAX_RATE}"
    )
    parser.add_argument("--yes", action="store_true", help="move (or delete) without asking")
    parser.add_argument(
        "--manual",
        action="store_true",
        help="move with receive / send / delete instead of an SQS message move task",
    )
    parser.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=f"list at most N messages (default {SCAN_CAP}); with --manual or --reason, "
        "move (or delete) at most N",
    )
    parser.add_argument(
        "--region",
        help="AWS region (default: the queue ARN's, else AWS_REGION, else the AWS configuration)",
    )
    return parser


def _check_arguments(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Usage errors before anything is called; returns the rate."""
    if args.stack and (args.dlq_url or args.queue_arn):
        parser.error("give either --stack or --dlq-url and --queue-arn, not both")
    if not args.stack and not (args.dlq_url and args.queue_arn):
        parser.error(
            "name the queues: --stack NAME (make redrive STACK=NAME), or --dlq-url URL and "
            "--queue-arn ARN"
        )
    try:
        rate = args.rate if args.rate is not None else default_rate(args.plan_limit)
    except ValueError as error:
        parser.error(f"--plan-limit: {error}")
    if not 1 <= rate <= MAX_RATE:
        parser.error(f"--rate must be between 1 and {MAX_RATE}")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.delete and not args.reason:
        parser.error(
            "--delete deletes the groups --reason names: add --reason REASON (the listing, "
            "without --delete, shows the reasons)"
        )
    args.reason = list(dict.fromkeys(_canonical(r) for r in args.reason or []))
    if "" in args.reason:
        parser.error("--reason needs a reason as the listing names it")
    return int(rate)


def _canonical(reason: str) -> str:
    reason = reason.strip()
    return NO_REASON if reason.lower() in (NO_REASON, "no reason", "no-reason") else reason


def _targets(args: argparse.Namespace, sqs: SQSClient, region: str) -> Targets:
    if args.stack:
        cloudformation: Any = boto3.client("cloudformation", region_name=region, config=_config())
        stacks = cloudformation.describe_stacks(StackName=args.stack)["Stacks"]
        return targets_from_outputs(stacks[0].get("Outputs", []))
    return Targets(args.dlq_url, queue_arn_of(sqs, args.dlq_url), args.queue_arn)


def _config() -> Config:
    return Config(retries={"mode": "standard", "max_attempts": 3})


def _confirm(question: str, input_fn: Callable[[str], str]) -> bool:
    try:
        return input_fn(question).strip().lower() in ("y", "yes")
    except (EOFError, KeyboardInterrupt):  # no terminal, or Ctrl-C: never act without --yes
        print()
        return False


def _name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def main(argv: Sequence[str] | None = None, *, input_fn: Callable[[str], str] = input) -> int:
    """Run the command; returns the exit status (0 done or declined, 1 failed, 2 usage,
    130 interrupted). Every error is one line on stderr, without a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    rate = _check_arguments(args, parser)
    region: str | None = None
    try:
        region = resolve_region(args.region, args.queue_arn)
        if not region:
            raise NoRegionError
        return _run(args, region, rate, input_fn)
    except KeyboardInterrupt:
        print(
            "\ninterrupted: what was moved stays moved, the rest is still in the dead-letter "
            f"queue (listed messages are visible again within {SCAN_VISIBILITY} s)",
            file=sys.stderr,
        )
        return 130
    except (ClientError, BotoCoreError, ValueError) as error:
        print(f"error: {explain(error, region=region, stack=args.stack)}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, region: str, rate: int, input_fn: Callable[[str], str]) -> int:
    sqs: SQSClient = boto3.client("sqs", region_name=region, config=_config())
    targets = _targets(args, sqs, region)
    move_task_request(targets.dlq_arn, targets.queue_arn, rate)  # checks the ARNs early
    queue_url = queue_url_of(sqs, targets.queue_arn)
    if targets.dlq_url.endswith(".fifo") != queue_url.endswith(".fifo"):
        raise ValueError("the dead-letter queue and the queue must both be FIFO or standard")
    note = redrive_note(sqs, queue_url, targets.dlq_arn)
    total = approximate_count(sqs, targets.dlq_url)
    listing = scan(sqs, targets.dlq_url, cap=args.limit or SCAN_CAP)
    groups = group_by_reason(listing.messages)

    print(
        format_report(
            groups,
            dlq_url=targets.dlq_url,
            approximate_total=total,
            capped=listing.capped,
            how_to_choose=not args.reason,
        )
    )
    if note:
        print(f"\nnote: {note}")
    if listing.not_released:
        print(
            f"\nnote: {listing.not_released} listed messages stay hidden for up to "
            f"{SCAN_VISIBILITY} s (they could not be made visible again at once)."
        )
    if not listing.messages:
        print("\nNothing to move.")
        return 0
    if args.reason:
        return _by_reason(args, sqs, targets, queue_url, groups, listing.capped, rate, input_fn)
    if args.limit is not None and not args.manual:
        print(
            "\n--limit only limits the listing: a message move task moves every message. "
            "Add --manual to move at most --limit messages."
        )
        return 2 if args.yes else 0

    how = "receive / send / delete" if args.manual else "an SQS message move task"
    count = (
        f"at most {args.limit}" if args.limit else f"about {max(len(listing.messages), total or 0)}"
    )
    question = (
        f"\nMove {count} messages from {_name(targets.dlq_arn)} to {_name(targets.queue_arn)} "
        f"at {rate} messages/s with {how}? [y/N] "
    )
    if not args.yes and not _confirm(question, input_fn):
        print("Nothing moved.")
        return 0

    if not args.manual:
        outcome = _start_task(sqs, targets, rate, region)
        if outcome is not None:
            return outcome
    return _move_manually(sqs, targets, queue_url, rate, args.limit)


def _by_reason(
    args: argparse.Namespace,
    sqs: SQSClient,
    targets: Targets,
    queue_url: str,
    groups: Sequence[ReasonGroup],
    capped: bool,
    rate: int,
    input_fn: Callable[[str], str],
) -> int:
    """Move back (or delete) the groups --reason names, after asking."""
    listed = {g.reason: g.count for g in groups}
    chosen: list[str] = args.reason
    missing = [r for r in chosen if r not in listed]
    if missing and not capped:
        print(
            f"error: no listed message has reason {', '.join(missing)}: choose among "
            f"{', '.join(listed)} (--reason takes the reason as the table shows it)",
            file=sys.stderr,
        )
        return 1
    if missing:
        print(f"\nnote: {', '.join(missing)} not among the messages listed before --limit.")
    expected = sum(listed.get(r, 0) for r in chosen)
    if args.limit is not None:
        expected = min(expected, args.limit)
    names = ", ".join(chosen)
    count = f"at most {args.limit}" if args.limit is not None else str(expected)
    dlq = _name(targets.dlq_arn)

    if args.delete:
        question = (
            f"\nDelete {count} messages with reason {names} from {dlq}? They are gone for good "
            "(fix the cause and send corrected activities instead). [y/N] "
        )
        if not args.yes and not _confirm(question, input_fn):
            print("Nothing deleted.")
            return 0
        result = by_reason(
            sqs,
            targets.dlq_url,
            frozenset(chosen),
            delete_from(sqs, targets.dlq_url),
            limit=args.limit,
            progress=_progress("deleted"),
        )
        print(f"Deleted {result.count} messages.")
        what = "deleted"
    else:
        for reason in chosen:
            if reason in listed and not can_succeed(reason):
                print(f"\nnote: {reason} {FAILS_AGAIN}; move it back only if it was.")
        question = (
            f"\nMove {count} messages with reason {names} from {dlq} to "
            f"{_name(targets.queue_arn)} at {rate} messages/s with receive / send / delete? "
            "[y/N] "
        )
        if not args.yes and not _confirm(question, input_fn):
            print("Nothing moved.")
            return 0
        print(f"Moving at {rate} messages/s to {queue_url} ...", flush=True)
        result = by_reason(
            sqs,
            targets.dlq_url,
            frozenset(chosen),
            move_to(sqs, targets.dlq_url, queue_url),
            pacer=Pacer(rate),
            limit=args.limit,
            progress=_progress("moved"),
        )
        print(f"Moved {result.count} messages in {result.seconds:.1f} s.")
        what = "moved"
    if result.error:
        print(
            f"error: stopped ({result.error}); the messages not {what} are still in the "
            "dead-letter queue.",
            file=sys.stderr,
        )
        return 1
    if result.count < expected:
        print(
            f"note: {expected - result.count} of the listed messages with reason {names} were "
            f"not reached (received elsewhere meanwhile, or, on a FIFO queue, waiting behind "
            "messages of another reason in their message group); run the command again to see "
            "what is left."
        )
    return 0


def _progress(verb: str) -> Callable[[int], None]:
    def progress(done: int) -> None:
        if done % 100 == 0:
            print(f"  {done} {verb}", flush=True)

    return progress


def _start_task(sqs: SQSClient, targets: Targets, rate: int, region: str | None) -> int | None:
    """Start a message move task; None when the endpoint has none (move manually instead)."""
    request = move_task_request(targets.dlq_arn, targets.queue_arn, rate)
    try:
        handle = sqs.start_message_move_task(**request)["TaskHandle"]
    except ClientError as error:
        if not is_unsupported(error):
            print(f"error: {explain(error, region=region)}", file=sys.stderr)
            return 1
        already = running_task(sqs, targets.dlq_arn)
        if already:
            print(
                f"error: a message move task is already running on this queue: {already}",
                file=sys.stderr,
            )
            return 1
        print(
            f"\nStartMessageMoveTask is not available here ({error_text(error)}).\n"
            "Moving the messages with receive / send / delete instead (as with --manual)."
        )
        return None
    except BotoCoreError as error:
        print(f"error: {explain(error, region=region)}", file=sys.stderr)
        return 1
    in_region = f" --region {region}" if region else ""
    print(
        f"\nStarted an SQS message move task at {rate} messages/s.\n"
        f"  task handle: {handle}\n"
        f"  follow it:   aws sqs list-message-move-tasks{in_region} --source-arn {targets.dlq_arn}\n"
        f"               (boto3: sqs.list_message_move_tasks(SourceArn=...))\n"
        f"  cancel it:   aws sqs cancel-message-move-task{in_region} --task-handle {handle}\n"
        "The moved messages keep their reason attributes; the function ignores them, and sets "
        "new ones if a message is dead-lettered again."
    )
    return 0


def _move_manually(
    sqs: SQSClient, targets: Targets, queue_url: str, rate: int, limit: int | None
) -> int:
    print(f"Moving at {rate} messages/s to {queue_url} ...", flush=True)
    result = move_manually(
        sqs,
        targets.dlq_url,
        queue_url,
        pacer=Pacer(rate),
        rate=rate,
        limit=limit,
        progress=_progress("moved"),
    )
    print(f"Moved {result.count} messages in {result.seconds:.1f} s.")
    if result.error:
        print(
            f"error: stopped ({result.error}); the messages not moved are still in the "
            "dead-letter queue.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
