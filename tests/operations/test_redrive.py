"""python -m operations.redrive against moto server: the listing, the move, pacing, fallback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from activity_poster import policy
from activity_poster.queues import DeadLetter
from activity_poster.queues import Queues as FunctionQueues
from localrun.stack import LocalStack, Queues
from operations import redrive

INVALID_BODY = json.dumps({"ActivityEvent": 212, "ActivityNotes": "typo"})
UNKNOWN_LEAD_BODY = json.dumps(
    {"RelatedProspectId": "00000000-0000-4000-8000-000000000000", "ActivityEvent": 212}
)
RETRIED_BODY = json.dumps({"EmailAddress": "priya.nair@example.org", "ActivityEvent": 212})


@pytest.fixture(autouse=True)
def aws_on_moto(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command, like the function, reaches moto through boto3's AWS_ENDPOINT_URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", stack.moto_url)


@pytest.fixture
def queues(stack: LocalStack) -> Queues:
    # maxReceiveCount 1: a second receive makes SQS move a message to the DLQ by itself.
    return stack.create_queues(f"redrive-{uuid.uuid4().hex[:8]}", max_receive_count=1)


def dead_letter(
    queues: Queues, body: str, error_type: str, message: str, group: str | None = None
) -> str:
    """Dead-letter a message the way the function does (same code, same attributes)."""
    original_id = str(uuid.uuid4())
    letter = DeadLetter(
        body=body,
        error_type=error_type,
        error_message=message,
        original_message_id=original_id,
        receive_count="1",
        source_queue=queues.arn,
        message_group_id=group,
    )
    assert FunctionQueues().dead_letter(queues.dlq_url, letter)
    return original_id


def dead_letter_by_sqs(stack: LocalStack, queues: Queues, body: str) -> None:
    """A message SQS itself moved to the DLQ after maxReceiveCount: no reason attributes."""
    sqs = stack.client("sqs")
    sqs.send_message(
        QueueUrl=queues.url,
        MessageBody=body,
        MessageAttributes={"IdempotencyKey": {"DataType": "String", "StringValue": "order-77"}},
    )
    assert sqs.receive_message(QueueUrl=queues.url, VisibilityTimeout=0)["Messages"]
    assert not sqs.receive_message(QueueUrl=queues.url, VisibilityTimeout=0).get("Messages")


@pytest.fixture
def seeded(stack: LocalStack, queues: Queues) -> Iterator[Queues]:
    """2 InvalidActivity, 3 MXInvalidEntityException, 1 moved by SQS without a reason."""
    for n in range(2):
        dead_letter(
            queues,
            INVALID_BODY.replace("typo", f"typo {n}"),
            "InvalidActivity",
            "ActivityNotes: unknown field",
        )
    for n in range(3):
        dead_letter(
            queues,
            UNKNOWN_LEAD_BODY.replace("212", str(300 + n)),
            "MXInvalidEntityException",
            "Lead does not exist",
        )
    dead_letter_by_sqs(stack, queues, RETRIED_BODY)
    assert counts(stack, queues.dlq_url) == (6, 0)
    yield queues


def counts(stack: LocalStack, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def drain(stack: LocalStack, url: str) -> list[dict]:
    """Every message of a queue, each received once (no redrive), all attributes."""
    sqs = stack.client("sqs")
    found: list[dict] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=300,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return found
        found += messages


def args(queues: Queues, *extra: str) -> list[str]:
    return ["--dlq-url", queues.dlq_url, "--queue-arn", queues.arn, *extra]


# -- the listing -----------------------------------------------------------------------------


def test_the_listing_groups_by_reason_and_keeps_every_message(
    stack: LocalStack, seeded: Queues, capsys: pytest.CaptureFixture[str]
):
    asked: list[str] = []

    def answer_no(question: str) -> str:
        asked.append(question)
        return "n"

    assert redrive.main(args(seeded), input_fn=answer_no) == 0

    out = capsys.readouterr().out
    assert "6 messages listed (SQS counts about 6); none removed." in out
    table = {line.split("  ", 2)[1].strip(): line for line in table_rows(out)}
    assert table.keys() == {"MXInvalidEntityException", "InvalidActivity", redrive.NO_REASON}
    assert table["MXInvalidEntityException"].split()[0] == "3"
    assert "Lead does not exist" in table["MXInvalidEntityException"]
    assert table["InvalidActivity"].split()[0] == "2"
    assert "ActivityNotes: unknown field" in table["InvalidActivity"]
    assert table[redrive.NO_REASON].split()[0] == "1"
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d failed", table["InvalidActivity"])
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d sent", table[redrive.NO_REASON])
    # The largest group comes first, and each group says whether it will fail again.
    assert list(table) == ["MXInvalidEntityException", "InvalidActivity", redrive.NO_REASON]
    hints = " ".join(out.split("If moved back:")[1].split())
    assert "- InvalidActivity: invalid input" in hints
    assert "- MXInvalidEntityException: rejected by LeadSquared: fails again unless" in hints
    assert f"- {redrive.NO_REASON}: no reason recorded: SQS moved these itself" in hints
    # Whether moving a group back can succeed, in the table itself.
    assert "fails again unless the cause was fixed" in table["MXInvalidEntityException"]
    assert "fails again unless the cause was fixed" in table["InvalidActivity"]
    assert "can succeed" in table[redrive.NO_REASON]
    assert "Only some groups: --reason REASON" in out
    assert "note:" not in out  # the queue dead-letters to this DLQ
    # No body is printed: bodies carry lead data.
    assert "priya.nair@example.org" not in out

    # Answering "n" moves nothing, and the listing left every message visible in the DLQ.
    assert len(asked) == 1
    assert "at 5 messages/s" in asked[0]
    assert "Nothing moved." in out
    assert counts(stack, seeded.dlq_url) == (6, 0)
    assert counts(stack, seeded.url) == (0, 0)


def table_rows(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("count  reason"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            return rows
        rows.append(line.strip())
    return rows


def test_the_listing_sees_each_message_once_however_often_it_is_received(
    stack: LocalStack, seeded: Queues
):
    sqs = stack.client("sqs")
    first = redrive.scan(sqs, seeded.dlq_url, cap=100)
    second = redrive.scan(sqs, seeded.dlq_url, cap=100)
    for listing in (first, second):
        ids = [m["MessageId"] for m in listing.messages]
        assert len(ids) == len(set(ids)) == 6
        assert not listing.capped
        assert listing.not_released == 0
    assert counts(stack, seeded.dlq_url) == (6, 0)

    capped = redrive.scan(sqs, seeded.dlq_url, cap=4)
    assert len(capped.messages) == 4
    assert capped.capped
    assert counts(stack, seeded.dlq_url) == (6, 0)


def test_an_empty_dlq_has_nothing_to_move(queues: Queues, capsys: pytest.CaptureFixture[str]):
    assert redrive.main(args(queues, "--yes")) == 0
    out = capsys.readouterr().out
    assert "0 messages listed" in out
    assert "Nothing to move." in out


# -- moving ----------------------------------------------------------------------------------


def test_manual_move_puts_every_message_back_without_its_reason(
    stack: LocalStack, seeded: Queues, capsys: pytest.CaptureFixture[str]
):
    def never_asked(question: str) -> str:
        raise AssertionError("--yes must not ask")

    assert (
        redrive.main(args(seeded, "--yes", "--manual", "--rate", "50"), input_fn=never_asked) == 0
    )

    assert "Moved 6 messages in" in capsys.readouterr().out
    assert counts(stack, seeded.dlq_url) == (0, 0)
    moved = drain(stack, seeded.url)
    expected = {INVALID_BODY.replace("typo", f"typo {n}") for n in range(2)}
    expected |= {UNKNOWN_LEAD_BODY.replace("212", str(300 + n)) for n in range(3)}
    expected |= {RETRIED_BODY}
    assert sorted(m["Body"] for m in moved) == sorted(expected)
    for message in moved:
        attributes = message.get("MessageAttributes", {})
        assert not redrive.REASON_ATTRIBUTES & attributes.keys()
        if message["Body"] == RETRIED_BODY:
            # Attributes other than the reasons travel with the message.
            assert attributes == {
                "IdempotencyKey": {"StringValue": "order-77", "DataType": "String"}
            }


def test_the_move_is_paced_at_the_rate(stack: LocalStack, queues: Queues):
    sqs = stack.client("sqs")
    for n in range(6):
        dead_letter(
            queues, UNKNOWN_LEAD_BODY.replace("212", str(400 + n)), "MXInvalidEntityException", "x"
        )

    slow = redrive.move_manually(sqs, queues.dlq_url, queues.url, pacer=redrive.Pacer(5), rate=5)
    assert (slow.count, slow.error) == (6, None)
    # 6 messages, 1/5 s apart: the last leaves at least 1 s after the first.
    assert slow.seconds >= 1.0

    for message in drain(stack, queues.url):
        dead_letter(queues, message["Body"], "MXInvalidEntityException", "x")
    fast = redrive.move_manually(sqs, queues.dlq_url, queues.url, pacer=redrive.Pacer(50), rate=50)
    assert (fast.count, fast.error) == (6, None)
    assert fast.seconds < 1.0


def test_the_cli_paces_at_rate_5(seeded: Queues, capsys: pytest.CaptureFixture[str]):
    assert redrive.main(args(seeded, "--yes", "--manual", "--rate", "5")) == 0
    seconds = re.search(r"Moved 6 messages in ([\d.]+) s", capsys.readouterr().out)
    assert seconds
    assert float(seconds[1]) >= 1.0


def test_limit_with_manual_moves_at_most_that_many(
    stack: LocalStack, seeded: Queues, capsys: pytest.CaptureFixture[str]
):
    assert redrive.main(args(seeded, "--yes", "--manual", "--rate", "50", "--limit", "2")) == 0
    assert "Moved 2 messages" in capsys.readouterr().out
    assert counts(stack, seeded.dlq_url) == (4, 0)
    assert len(drain(stack, seeded.url)) == 2


def test_limit_without_manual_only_limits_the_listing(
    stack: LocalStack, seeded: Queues, capsys: pytest.CaptureFixture[str]
):
    assert redrive.main(args(seeded, "--yes", "--limit", "2")) == 2
    out = capsys.readouterr().out
    assert "2 messages listed" in out
    assert "Add --manual" in out
    assert counts(stack, seeded.dlq_url) == (6, 0)


def test_fifo_messages_keep_their_group_and_order(stack: LocalStack):
    queues = stack.create_queues(f"redrive-{uuid.uuid4().hex[:8]}", fifo=True)
    notes = [f"call {n}" for n in range(4)]
    originals = [
        dead_letter(
            queues,
            json.dumps({"ActivityNote": note}),
            "MXInvalidEntityException",
            "Lead does not exist",
            group="lead-a",
        )
        for note in notes
    ]

    assert redrive.main(args(queues, "--yes", "--manual", "--rate", "50")) == 0

    moved = drain(stack, queues.url)
    assert [json.loads(m["Body"])["ActivityNote"] for m in moved] == notes
    assert {m["Attributes"]["MessageGroupId"] for m in moved} == {"lead-a"}
    assert [m["Attributes"]["MessageDeduplicationId"] for m in moved] == originals
    assert counts(stack, queues.dlq_url) == (0, 0)


def test_the_queues_must_be_both_fifo_or_both_standard(
    stack: LocalStack, queues: Queues, capsys: pytest.CaptureFixture[str]
):
    fifo = stack.create_queues(f"redrive-{uuid.uuid4().hex[:8]}", fifo=True)
    assert redrive.main(["--dlq-url", queues.dlq_url, "--queue-arn", fifo.arn, "--yes"]) == 1
    assert "both be FIFO or standard" in capsys.readouterr().err


def test_queues_that_do_not_belong_together_get_a_note(
    stack: LocalStack, queues: Queues, capsys: pytest.CaptureFixture[str]
):
    other = stack.create_queues(f"redrive-{uuid.uuid4().hex[:8]}")
    assert redrive.main(["--dlq-url", queues.dlq_url, "--queue-arn", other.arn, "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"note: {other.url} sends its dead letters to {other.dlq_arn}, not to this" in out


# -- by reason -------------------------------------------------------------------------------


def bodies(stack: LocalStack, url: str) -> list[str]:
    return sorted(m["Body"] for m in drain(stack, url))


def test_reason_moves_back_only_that_group(
    stack: LocalStack, seeded: Queues, capsys: pytest.CaptureFixture[str]
):
    asked: list[str] = []

    def answer_yes(question: str) -> str:
        asked.append(question)
        return "y"

    assert redrive.main(args(seeded, "--reason", "none", "--rate", "50"), input_fn=answer_yes) == 0

    out = capsys.readouterr().out
    assert asked == [
        f"\nMove 1 messages with reason none from {seeded.dlq_arn.rsplit(':', 1)[1]} to "
        f"{seeded.arn.rsplit(':', 1)[1]} at 50 messages/s with receive / send / delete? [y/N] "
    ]
    assert "Moved 1 messages in" in out
    assert "Only some groups" not in out  # the groups were chosen already
    assert "note:" not in out  # a group that can succeed needs no warning
    assert bodies(stack, seeded.url) == [RETRIED_BODY]
    # The other groups were passed over and are visible again at once.
    assert counts(stack, seeded.dlq_url) == (5, 0)


def test_several_reasons_move_several_groups_and_warn_about_rejections(
    stack: LocalStack, seeded: Queues, capsys: pytest.CaptureFixture[str]
):
    argv = args(seeded, "--reason", "MXInvalidEntityException", "--reason", "none", "--yes")

    assert redrive.main([*argv, "--rate", "50"]) == 0

    out = capsys.readouterr().out
    assert "note: MXInvalidEntityException fails again unless the cause was fixed" in out
    assert "Moved 4 messages in" in out
    assert bodies(stack, seeded.url) == sorted(
        [RETRIED_BODY, *(UNKNOWN_LEAD_BODY.replace("212", str(300 + n)) for n in range(3))]
    )
    remaining = drain(stack, seeded.dlq_url)
    assert [redrive.reason_of(m) for m in remaining] == ["InvalidActivity"] * 2


def test_reason_with_limit_moves_at_most_that_many(
    stack: LocalStack, seeded: Queues, capsys: pytest.CaptureFixture[str]
):
    argv = args(seeded, "--reason", "MXInvalidEntityException", "--limit", "2", "--yes")

    assert redrive.main([*argv, "--rate", "50"]) == 0

    assert "Moved 2 messages in" in capsys.readouterr().out
    assert len(drain(stack, seeded.url)) == 2
    assert counts(stack, seeded.dlq_url) == (4, 0)


def test_a_reason_nobody_has_is_one_line_naming_the_reasons_listed(
    stack: LocalStack, seeded: Queues, capsys: pytest.CaptureFixture[str]
):
    assert redrive.main(args(seeded, "--reason", "MXInvalidEntity", "--yes")) == 1

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: no listed message has reason MXInvalidEntity: choose among ")
    assert "MXInvalidEntityException, InvalidActivity, none" in err
    assert counts(stack, seeded.dlq_url) == (6, 0)
    assert counts(stack, seeded.url) == (0, 0)


def test_delete_by_reason_asks_then_deletes_that_group_only(
    stack: LocalStack, seeded: Queues, capsys: pytest.CaptureFixture[str]
):
    asked: list[str] = []

    def answer(reply: str):
        def ask(question: str) -> str:
            asked.append(question)
            return reply

        return ask

    argv = args(seeded, "--delete", "--reason", "InvalidActivity")
    assert redrive.main(argv, input_fn=answer("")) == 0  # Enter: the default is No
    assert "Nothing deleted." in capsys.readouterr().out
    assert counts(stack, seeded.dlq_url) == (6, 0)

    assert redrive.main(argv, input_fn=answer("y")) == 0
    assert "Deleted 2 messages." in capsys.readouterr().out
    assert len(asked) == 2
    assert asked[1].startswith("\nDelete 2 messages with reason InvalidActivity from ")
    assert asked[1].endswith("[y/N] ")
    remaining = drain(stack, seeded.dlq_url)
    assert sorted(redrive.reason_of(m) for m in remaining) == [
        "MXInvalidEntityException",
        "MXInvalidEntityException",
        "MXInvalidEntityException",
        redrive.NO_REASON,
    ]
    assert counts(stack, seeded.url) == (0, 0)  # nothing was moved anywhere


def test_delete_with_yes_does_not_ask(stack: LocalStack, seeded: Queues):
    def never_asked(question: str) -> str:
        raise AssertionError("--yes must not ask")

    argv = args(seeded, "--delete", "--reason", "MXInvalidEntityException", "--yes")
    assert redrive.main(argv, input_fn=never_asked) == 0
    assert counts(stack, seeded.dlq_url) == (3, 0)


def test_delete_needs_a_reason(seeded: Queues, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        redrive.main(args(seeded, "--delete", "--yes"))
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--delete deletes the groups --reason names: add --reason REASON" in err


@pytest.mark.parametrize(
    ("reason", "succeeds"),
    [
        (redrive.NO_REASON, True),
        ("NotTried", True),
        ("InvalidActivity", False),
        ("MXInvalidEntityException", False),
        ("MXDuplicateEntryException", False),
        ("HTTP404", False),
        ("IdempotencyKeyReused", False),
    ],
)
def test_which_groups_can_succeed_when_moved_back(reason: str, succeeds: bool):
    assert redrive.can_succeed(reason) is succeeds
    assert redrive.verdict(reason) == (
        "can succeed" if succeeds else "fails again unless the cause was fixed"
    )
    assert ("fails again" in redrive.hint_for(reason)) is not succeeds


def test_the_reasons_are_the_ones_the_function_records():
    assert redrive.INVALID_ACTIVITY == policy.INVALID_ACTIVITY
    assert redrive.NOT_TRIED == policy.NOT_TRIED_ERROR
    assert redrive.KEY_REUSED == policy.KEY_REUSED


# -- errors: one line, what to do, no traceback ------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def run_command(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "operations.redrive", *argv],
        cwd=ROOT,
        env={**env, "PYTHONPATH": os.pathsep.join(["src", "emulator", "."])},
        capture_output=True,
        text=True,
        timeout=60,
    )


def bare_env(stack: LocalStack, **extra: str) -> dict[str, str]:
    """This environment without any AWS region or credentials, and no AWS config files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **env,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": stack.moto_url,
        **extra,
    }


def test_without_a_region_the_stack_form_says_so_in_one_line(stack: LocalStack):
    ran = run_command("--stack", "leadsquared-activity-poster", env=bare_env(stack))

    assert ran.returncode == 1
    assert ran.stdout == ""
    assert ran.stderr == (
        "error: no AWS region: set AWS_REGION or pass --region (make redrive ... "
        "REGION=eu-west-1)\n"
    )


def test_aws_region_is_enough(stack: LocalStack):
    """AWS_REGION, which boto3 itself does not read, names the region (moto has no stack)."""
    env = bare_env(stack, AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing")
    env["AWS_SECRET_ACCESS_KEY"] = "testing"

    ran = run_command("--stack", "no-such-stack", env=env)

    assert ran.returncode == 1
    assert ran.stderr == (
        "error: no stack no-such-stack in this region (us-east-1): check STACK (the stack "
        "name `sam deploy` used) and the region (AWS_REGION or --region)\n"
    )


def test_without_credentials_it_says_so_in_one_line(stack: LocalStack, queues: Queues):
    ran = run_command(*args(queues), env=bare_env(stack))

    assert ran.returncode == 1
    assert ran.stderr.startswith("error: no AWS credentials: set AWS_PROFILE")
    assert ran.stderr.count("\n") == 1
    assert "Traceback" not in ran.stderr


def test_without_queues_it_says_how_to_name_them(stack: LocalStack):
    """`make redrive` with no STACK: one line, no traceback, before any AWS call."""
    ran = run_command(env=bare_env(stack))

    assert ran.returncode == 2
    assert ran.stderr == (
        "error: name the queues: --stack NAME (make redrive STACK=NAME), or --dlq-url URL "
        "and --queue-arn ARN (python -m operations.redrive --help)\n"
    )


def test_the_queue_arn_names_the_region(stack: LocalStack, seeded: Queues):
    env = bare_env(stack, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")

    ran = run_command(*args(seeded), env=env)

    assert ran.returncode == 0, ran.stderr
    assert "6 messages listed" in ran.stdout
    assert "Nothing moved." in ran.stdout  # no terminal: never moves without --yes


# -- message move tasks ----------------------------------------------------------------------


def test_move_task_request():
    dlq = "arn:aws:sqs:ap-south-1:123456789012:activities-dlq"
    queue = "arn:aws:sqs:ap-south-1:123456789012:activities"
    assert redrive.move_task_request(dlq, queue, 5) == {
        "SourceArn": dlq,
        "DestinationArn": queue,
        "MaxNumberOfMessagesPerSecond": 5,
    }
    with pytest.raises(ValueError, match="between 1 and 500"):
        redrive.move_task_request(dlq, queue, 0)
    with pytest.raises(ValueError, match="between 1 and 500"):
        redrive.move_task_request(dlq, queue, 501)
    with pytest.raises(ValueError, match="same queue"):
        redrive.move_task_request(dlq, dlq, 5)
    with pytest.raises(ValueError, match="not an SQS queue ARN"):
        redrive.move_task_request("https://sqs.ap-south-1.amazonaws.com/1/dlq", queue, 5)


@pytest.mark.parametrize(
    ("plan", "rate"), [("25/5s", 5), ("10/3s", 3), ("1/5s", 1), ("100/0.1s", 500), ("7/1", 7)]
)
def test_the_default_rate_derives_from_the_plan(plan: str, rate: int):
    assert redrive.default_rate(plan) == rate


def test_a_plan_limit_that_is_not_calls_per_seconds_is_refused(
    queues: Queues, capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(SystemExit) as exit_:
        redrive.main(args(queues, "--plan-limit", "25 per 5s"))
    assert exit_.value.code == 2
    assert "CALLS/SECONDS" in capsys.readouterr().err


def test_start_message_move_task_fails_on_moto_as_unsupported(stack: LocalStack, seeded: Queues):
    """A real call: moto has no message move tasks (if it gains them, this test says so)."""
    sqs = stack.client("sqs")
    request = redrive.move_task_request(seeded.dlq_arn, seeded.arn, 5)
    with pytest.raises(ClientError) as error:
        sqs.start_message_move_task(**request)
    assert redrive.is_unsupported(error.value)


def test_without_message_move_tasks_the_command_falls_back_to_manual(
    stack: LocalStack, seeded: Queues, capsys: pytest.CaptureFixture[str]
):
    assert redrive.main(args(seeded, "--yes", "--rate", "50")) == 0

    out = capsys.readouterr().out
    assert "StartMessageMoveTask is not available here" in out
    assert "Moving the messages with receive / send / delete instead (as with --manual)." in out
    assert "Moved 6 messages" in out
    assert counts(stack, seeded.dlq_url) == (0, 0)
    assert len(drain(stack, seeded.url)) == 6


def client_error(code: str, status: int, message: str = "") -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "StartMessageMoveTask")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "status", "unsupported"),
    [
        ("UnsupportedOperation", 400, True),
        ("AWS.SimpleQueueService.UnsupportedOperation", 400, True),
        ("InvalidAction", 400, True),
        ("UnknownOperationException", 400, True),
        ("NotImplemented", 501, True),
        ("500", 500, True),  # no AWS error code: an emulator without the operation
        ("503", 503, False),  # a gateway in trouble says nothing about the operation
        ("AccessDenied", 403, False),
        ("InvalidParameterValue", 400, False),
        ("AWS.SimpleQueueService.InternalError", 500, False),
        ("RequestThrottled", 400, False),
    ],
)
def test_which_errors_mean_no_message_move_tasks(code: str, status: int, unsupported: bool):
    assert redrive.is_unsupported(client_error(code, status)) is unsupported


def test_error_text_drops_an_html_page():
    error = client_error("500", 500, "<!doctype html><title>500 Internal Server Error</title>")
    assert redrive.error_text(error) == "StartMessageMoveTask: HTTP 500 without an AWS error code"
    assert (
        redrive.error_text(client_error("AccessDenied", 403, "not allowed"))
        == "StartMessageMoveTask: AccessDenied: not allowed"
    )


# -- pure parts ------------------------------------------------------------------------------


def message(
    body: str = "{}",
    *,
    reason: str | None = None,
    error: str = "",
    failed_at: str = "",
    sent_ms: int = 1_748_944_800_000,
    extra: dict | None = None,
    group: str | None = None,
) -> dict:
    attributes = dict(extra or {})
    for name, value in {"ErrorType": reason, "ErrorMessage": error, "FailedAt": failed_at}.items():
        if value:
            attributes[name] = {"DataType": "String", "StringValue": value}
    system = {"SentTimestamp": str(sent_ms)} | ({"MessageGroupId": group} if group else {})
    return {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": "handle",
        "Body": body,
        "Attributes": system,
        "MessageAttributes": attributes,
    }


def test_group_by_reason_counts_samples_and_oldest_failure():
    groups = redrive.group_by_reason(
        [
            message(reason="MXInvalidEntityException", failed_at="2025-06-03T10:00:00+00:00"),
            message(
                reason="MXInvalidEntityException",
                error="Lead does not exist",
                failed_at="2025-06-02T08:30:00+00:00",
            ),
            message(
                reason="InvalidActivity",
                error="ActivityEvent: required",
                failed_at="2025-06-04T12:00:00+05:30",
            ),
            message(sent_ms=1_748_944_800_000),
            message(sent_ms=1_748_858_400_000),
        ]
    )
    summary = [
        (g.reason, g.count, g.sample_error, f"{g.oldest:%Y-%m-%d %H:%M}", g.oldest_is_failure)
        for g in groups
    ]
    assert summary == [
        ("MXInvalidEntityException", 2, "Lead does not exist", "2025-06-02 08:30", True),
        (redrive.NO_REASON, 2, "", "2025-06-02 10:00", False),
        ("InvalidActivity", 1, "ActivityEvent: required", "2025-06-04 06:30", True),
    ]


def test_hints_say_what_fails_again():
    assert "fails again" in redrive.hint_for("InvalidActivity")
    assert "fails again" in redrive.hint_for("MXDuplicateEntryException")
    assert "fails again" in redrive.hint_for("HTTP404")
    assert "fails again" not in redrive.hint_for(redrive.NO_REASON)


def test_forward_request_keeps_body_and_attributes_but_not_the_reason():
    original = message(
        '{"ActivityEvent": 212}',
        reason="MXInvalidEntityException",
        error="Lead does not exist",
        extra={
            "IdempotencyKey": {"DataType": "String", "StringValue": "k-1"},
            "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
            "OriginalMessageId": {"DataType": "String", "StringValue": "orig-1"},
        },
        group="lead-a",
    )
    assert redrive.forward_request(original, "https://sqs/q") == {
        "QueueUrl": "https://sqs/q",
        "MessageBody": '{"ActivityEvent": 212}',
        "MessageAttributes": {
            "IdempotencyKey": {"DataType": "String", "StringValue": "k-1"},
            "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    }
    fifo = redrive.forward_request(original, "https://sqs/q.fifo")
    assert (fifo["MessageGroupId"], fifo["MessageDeduplicationId"]) == ("lead-a", "orig-1")

    by_sqs = message("{}")
    fifo = redrive.forward_request(by_sqs, "https://sqs/q.fifo")
    assert "MessageAttributes" not in fifo
    assert fifo["MessageDeduplicationId"] == by_sqs["MessageId"]


def test_pacer_spaces_calls_and_does_not_catch_up_with_a_burst():
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(round(seconds, 6))
        now[0] += seconds

    pacer = redrive.Pacer(5, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pacer.wait()
    assert sleeps == [0.2, 0.2]
    now[0] += 5  # a slow call
    pacer.wait()
    pacer.wait()
    assert sleeps == [0.2, 0.2, 0.2]


def test_targets_from_stack_outputs():
    outputs = [
        {"OutputKey": "ActivityQueueArn", "OutputValue": "arn:aws:sqs:r:1:q"},
        {"OutputKey": "DeadLetterQueueUrl", "OutputValue": "https://sqs.r.amazonaws.com/1/dlq"},
        {"OutputKey": "DeadLetterQueueArn", "OutputValue": "arn:aws:sqs:r:1:dlq"},
        {"OutputKey": "ApiUrl", "OutputValue": "https://api"},
    ]
    assert redrive.targets_from_outputs(outputs) == redrive.Targets(
        dlq_url="https://sqs.r.amazonaws.com/1/dlq",
        dlq_arn="arn:aws:sqs:r:1:dlq",
        queue_arn="arn:aws:sqs:r:1:q",
    )
    with pytest.raises(ValueError, match="no output DeadLetterQueueUrl, DeadLetterQueueArn"):
        redrive.targets_from_outputs(outputs[:1])


def test_stack_outputs_name_the_queues(stack: LocalStack, capsys: pytest.CaptureFixture[str]):
    """--stack reads describe_stacks; moto answers it for a stack it created itself."""
    name = f"redrive-{uuid.uuid4().hex[:8]}"
    template = {
        "Resources": {
            "ActivityDeadLetterQueue": {"Type": "AWS::SQS::Queue"},
            "ActivityQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["ActivityDeadLetterQueue", "Arn"]},
                        "maxReceiveCount": 5,
                    }
                },
            },
        },
        "Outputs": {
            "ActivityQueueArn": {"Value": {"Fn::GetAtt": ["ActivityQueue", "Arn"]}},
            "DeadLetterQueueUrl": {"Value": {"Ref": "ActivityDeadLetterQueue"}},
            "DeadLetterQueueArn": {"Value": {"Fn::GetAtt": ["ActivityDeadLetterQueue", "Arn"]}},
        },
    }
    stack.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
    outputs = stack.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["Outputs"]
    targets = redrive.targets_from_outputs(outputs)
    stack.client("sqs").send_message(QueueUrl=targets.dlq_url, MessageBody=RETRIED_BODY)

    assert redrive.main(["--stack", name, "--yes", "--manual", "--rate", "50"]) == 0

    out = capsys.readouterr().out
    assert f"Dead-letter queue {targets.dlq_url}" in out
    assert "Moved 1 messages" in out
    queue_url = redrive.queue_url_of(stack.client("sqs"), targets.queue_arn)
    assert [m["Body"] for m in drain(stack, queue_url)] == [RETRIED_BODY]


def test_stack_and_queue_arguments_are_exclusive(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit):
        redrive.main(["--stack", "s", "--dlq-url", "u"])
    assert "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        redrive.main(["--dlq-url", "u"])
    assert "--queue-arn" in capsys.readouterr().err


def test_a_missing_queue_is_reported(capsys: pytest.CaptureFixture[str]):
    arn = "arn:aws:sqs:us-east-1:123456789012:no-such-queue"
    assert (
        redrive.main(
            [
                "--dlq-url",
                "https://sqs.us-east-1.amazonaws.com/123456789012/none",
                "--queue-arn",
                arn,
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert "no such queue (us-east-1); check --dlq-url and --queue-arn" in err
