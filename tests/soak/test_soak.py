"""Soak: a queue of activities through the real handler, driven as Lambda's SQS poller drives
it, against a LeadSquared that fails, hangs, drops connections and throttles.

The setting, scaled down so that a run takes seconds:

- LeadSquared's limit is 5 calls in a rolling 0.5 s (the plan's "N in 5 s" with a shortened
  window), and the function paces itself to the same plan. One poller runs one invocation at
  a time, like one Lambda container with maximum concurrency 1, so LEADSQUARED_CONTAINERS=1:
  the whole plan is this container's share. (Pollers in threads of one process would share
  one container state, hence one limiter; that would not model several containers.)
- Every call has a 10% chance of a plain 500, 3% of a dropped connection, 2% of hanging
  without committing and 2% of committing and then hanging (the answer is lost). The function
  gives up reading after 0.3 s; the emulator holds a hung connection for 0.5 s.
- An invocation has 2 s. A call may start only if 1 s is left (0.5 s connect + 0.3 s read +
  0.2 s margin), so a batch of 10 at this rate cannot always finish: the messages not started
  are handed back for the next poll.
- Failed messages come back after 1 s, then 2 s (the function's own backoff); the queue's
  redrive policy moves a message to the DLQ after MAX_RECEIVE_COUNT receives.
- The function keeps its default delivery settings (threads, mode); the soak sets only what
  the scaled-down timings need.

Each activity carries a unique note (`soak-0042`) to count by. About 5% are invalid and 3%
name a lead that does not exist: those must end in the DLQ with the reason.

Duplicates. When LeadSquared commits an activity and the answer is lost (the
timeout-after-commit fault), the function cannot know and tries again; LeadSquared has no
idempotency key, so no client can rule that duplicate out. Every other duplicate is a bug.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import logging
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from activity_poster.observability import logger
from leadsquared_emulator import (
    PRIMARY_EMAIL,
    PRIMARY_LEAD_ID,
    SECONDARY_LEAD_ID,
    Emulator,
    Fault,
    RateLimit,
    Received,
)
from localrun.poller import DrainResult, SqsPoller
from localrun.stack import LocalStack

pytestmark = pytest.mark.slow

MESSAGES = 120
INVALID_EVERY = 20  # 5%
UNKNOWN_LEAD_EVERY = 33  # 3%
FUNCTION_TIMEOUT = 2.0
QUEUE_VISIBILITY_TIMEOUT = 3  # at least the function timeout, as Lambda requires
# Valid messages fail a receive now and then: three failed calls, a retry cut short by the
# deadline, or not started at all before the deadline. The faults alone make six failed
# receives in a row practically impossible, and with records tried in batch order (one
# delivery thread) runs show at most three or four receives. So SQS's own redrive must not
# take a valid message; when it does, the run says so, with each message's history.
MAX_RECEIVE_COUNT = 6
MAX_DRAIN_SECONDS = 45.0
FAULT_RATES = {
    Fault.HTTP_500: 0.10,
    Fault.READ_TIMEOUT: 0.02,
    Fault.TIMEOUT_AFTER_COMMIT: 0.02,
    Fault.DROP_CONNECTION: 0.03,
}
# Answers "throttled" not caused by an injected fault: the function's pacing should leave
# none; a few would be tolerable (a client cannot see LeadSquared's clock), more is a bug.
TOLERATED_THROTTLES = 2
UNKNOWN_LEAD_ERROR = "MXInvalidEntityException"
# Reported when SQS's redrive took valid messages; the lines after it give each message's
# history.
REDRIVEN_VALID = (
    "valid messages used up the queue's maxReceiveCount and SQS moved them to the DLQ "
    "without a reason; an untried message must be put back before its last receive "
    "(MAX_RECEIVE_COUNT), and the most-received records go first"
)
NOTE = re.compile(r"soak-\d{4}")


# -- the messages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoakMessage:
    note: str
    kind: str  # "valid", "invalid", "unknown-lead"
    body: str
    attributes: dict[str, Any] = field(default_factory=dict)


def soak_messages(count: int) -> list[SoakMessage]:
    invalid_variants = itertools.cycle(["no-event", "negative-event", "not-json"])
    messages = []
    for i in range(count):
        note = f"soak-{i:04d}"
        body: dict[str, Any] = {
            "RelatedProspectId": PRIMARY_LEAD_ID if i % 2 else SECONDARY_LEAD_ID,
            "ActivityEvent": 212,
            "ActivityNote": note,
        }
        attributes: dict[str, Any] = {}
        if i % INVALID_EVERY == 7:
            variant = next(invalid_variants)
            if variant == "not-json":
                messages.append(SoakMessage(note, "invalid", f"{{'ActivityNote': '{note}'"))
                continue
            if variant == "no-event":
                del body["ActivityEvent"]
            else:
                body["ActivityEvent"] = -1
            messages.append(SoakMessage(note, "invalid", json.dumps(body)))
            continue
        if i % UNKNOWN_LEAD_EVERY == 11:
            body["RelatedProspectId"] = f"00000000-0000-4000-8000-{i:012d}"
            messages.append(SoakMessage(note, "unknown-lead", json.dumps(body)))
            continue
        if i % 5 == 3:  # the email variant of Create
            del body["RelatedProspectId"]
            body["EmailAddress"] = PRIMARY_EMAIL
        if i % 4 == 1:  # the upstream system's own idempotency key, as a message attribute
            attributes = {
                "IdempotencyKey": {"DataType": "String", "StringValue": f"key-{note}"},
                "Source": {"DataType": "String", "StringValue": "soak"},
            }
        if i % 6 == 2:
            body["Fields"] = [{"SchemaName": "mx_Custom_1", "Value": f"S-{i}"}]
        messages.append(SoakMessage(note, "valid", json.dumps(body), attributes))
    return messages


def send_all(sqs: Any, queue_url: str, messages: list[SoakMessage]) -> None:
    for start in range(0, len(messages), 10):
        entries = []
        for j, message in enumerate(messages[start : start + 10]):
            entry: dict[str, Any] = {"Id": str(j), "MessageBody": message.body}
            if message.attributes:
                entry["MessageAttributes"] = message.attributes
            entries.append(entry)
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        assert not answer.get("Failed"), answer["Failed"]


def note_of(text: str) -> str | None:
    match = NOTE.search(text or "")
    return match.group(0) if match else None


def read_queue(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message on a queue, each read once (kept invisible long enough)."""
    found: dict[str, dict[str, Any]] = {}
    empty_reads = 0
    while empty_reads < 2:
        answer = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=120,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        batch = answer.get("Messages", [])
        empty_reads = 0 if batch else empty_reads + 1
        for message in batch:
            found[message["MessageId"]] = message
    return list(found.values())


# -- what the handler did, invocation by invocation ------------------------------------------------


@dataclass
class Invocation:
    started: float
    ended: float
    notes: dict[str, str | None]  # messageId -> note
    receive_counts: dict[str, int]  # messageId -> ApproximateReceiveCount
    failed: set[str]


class RecordingHandler:
    """The function's handler, with a note of what each invocation received and answered."""

    def __init__(self) -> None:
        from activity_poster.handler import lambda_handler

        self._handler = lambda_handler
        self.invocations: list[Invocation] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        records = event["Records"]
        invocation = Invocation(
            started=time.monotonic(),
            ended=0.0,
            notes={r["messageId"]: note_of(r["body"]) for r in records},
            receive_counts={
                r["messageId"]: int(r["attributes"]["ApproximateReceiveCount"]) for r in records
            },
            failed=set(),
        )
        self.invocations.append(invocation)
        try:
            answer = self._handler(event, context)
        finally:
            invocation.ended = time.monotonic()
        invocation.failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        return answer


def deferred_messages(invocations: list[Invocation], received: list[Received]) -> Counter[str]:
    """By note, how often an invocation reported the message failed without having called
    LeadSquared for it: the deadline guard kept it back. (Rejected messages never get here:
    once in the DLQ they are acknowledged.)"""
    deferred: Counter[str] = Counter()
    for invocation in invocations:
        called = {
            r.json.get("ActivityNote")
            for r in received
            if invocation.started <= r.time <= invocation.ended and isinstance(r.json, dict)
        }
        for mid in invocation.failed:
            note = invocation.notes.get(mid)
            if note is not None and note not in called:
                deferred[note] += 1
    return deferred


# -- the accounting ---------------------------------------------------------------------------------


@dataclass
class Accounting:
    sent: int = 0
    delivered: int = 0
    duplicates: int = 0
    explained_duplicates: int = 0
    unexplained: dict[str, int] = field(default_factory=dict)  # note -> unexplained copies
    dead_lettered: Counter[str] = field(default_factory=Counter)  # ErrorType -> messages
    redriven_by_sqs: list[str] = field(default_factory=list)  # notes without a reason
    # note -> (receives, calls to LeadSquared, receives handed back untried)
    history: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    dlq_copies: dict[str, int] = field(default_factory=dict)  # note -> copies beyond one
    lost: list[str] = field(default_factory=list)
    calls: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    deferred: int = 0
    invocations: int = 0
    timeouts: int = 0
    errors: int = 0
    longest_invocation: float = 0.0
    max_receives_delivered: int = 0
    receive_histogram: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    def table(self, title: str) -> str:
        rows: list[tuple[str, Any]] = [
            ("sent", self.sent),
            ("delivered (unique notes created)", self.delivered),
            ("duplicates (extra copies)", self.duplicates),
            ("  explained (timeout after commit)", self.explained_duplicates),
            ("  unexplained", sum(self.unexplained.values())),
            ("dead-lettered", sum(self.dead_lettered.values()) + len(self.redriven_by_sqs)),
        ]
        rows += [(f"  {error_type}", n) for error_type, n in sorted(self.dead_lettered.items())]
        rows += [
            ("  no reason (SQS redrive)", len(self.redriven_by_sqs)),
            ("  extra DLQ copies", sum(self.dlq_copies.values())),
            ("lost", len(self.lost)),
            ("calls to LeadSquared", self.calls),
        ]
        rows += [(f"  fault {name}", n) for name, n in sorted(self.faults.items())]
        rows += [
            ("  throttled (no fault injected)", self.throttled),
            ("invocations", self.invocations),
            ("  Lambda timeouts", self.timeouts),
            ("  errors", self.errors),
            ("  longest (s)", f"{self.longest_invocation:.2f} of {FUNCTION_TIMEOUT:.1f}"),
            ("messages deferred by the deadline", self.deferred),
            ("most receives of a delivered message", self.max_receives_delivered),
            (
                "receives per message",
                " ".join(f"{k}:{v}" for k, v in sorted(self.receive_histogram.items())),
            ),
            ("wall time (s)", f"{self.seconds:.1f}"),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [title, "-" * (width + 12)]
        lines += [f"{name:<{width}}  {value:>8}" for name, value in rows]
        return "\n".join(lines)


def account(
    messages: list[SoakMessage],
    emulator: Emulator,
    dead_letters: list[dict[str, Any]],
    handler: RecordingHandler,
    drained: DrainResult,
) -> Accounting:
    result = Accounting(sent=len(messages), seconds=drained.seconds)
    received = emulator.received
    created = Counter(c.body.get("ActivityNote") for c in emulator.created)
    after_commit = Counter(
        r.json.get("ActivityNote")
        for r in received
        if r.fault is Fault.TIMEOUT_AFTER_COMMIT and isinstance(r.json, dict)
    )
    result.delivered = sum(1 for m in messages if created[m.note] > 0)
    for note, copies in created.items():
        extra = copies - 1
        if extra <= 0:
            continue
        explained = min(extra, after_commit[note])
        result.duplicates += extra
        result.explained_duplicates += explained
        if extra > explained:
            result.unexplained[str(note)] = extra - explained

    dlq_notes: Counter[str] = Counter()
    for letter in dead_letters:
        note = note_of(letter["Body"]) or f"(no note) {letter['Body'][:40]}"
        dlq_notes[note] += 1
        attributes = letter.get("MessageAttributes", {})
        if "ErrorType" in attributes:
            result.dead_lettered[attributes["ErrorType"]["StringValue"]] += 1
        else:
            result.redriven_by_sqs.append(note)
    result.dlq_copies = {note: n - 1 for note, n in dlq_notes.items() if n > 1}
    result.lost = [m.note for m in messages if not created[m.note] and not dlq_notes[m.note]]

    result.calls = len(received)
    result.faults = Counter(r.fault.name for r in received if r.fault is not None)
    result.throttled = sum(
        1 for r in received if r.fault is None and r.status == emulator.config.throttle_status
    )
    deferred = deferred_messages(handler.invocations, received)
    result.deferred = sum(deferred.values())
    stats = drained.stats
    result.invocations = stats.invocations
    result.timeouts = stats.timeouts
    result.errors = stats.errors
    result.longest_invocation = stats.longest_invocation

    receives: dict[str, int] = defaultdict(int)
    for invocation in handler.invocations:
        for mid, note in invocation.notes.items():
            if note is not None:
                receives[note] = max(receives[note], invocation.receive_counts[mid])
    result.receive_histogram = Counter(receives.values())
    calls = Counter(r.json.get("ActivityNote") for r in received if isinstance(r.json, dict))
    result.history = {note: (n, calls[note], deferred[note]) for note, n in receives.items()}
    result.max_receives_delivered = max(
        (receives[m.note] for m in messages if created[m.note]), default=0
    )
    return result


def problems_with(
    result: Accounting,
    messages: list[SoakMessage],
    emulator: Emulator,
    dead_letters: list[dict[str, Any]],
    drained: DrainResult,
) -> tuple[list[str], list[str]]:
    """Every broken guarantee, in words, and apart from them the valid messages SQS's own
    redrive moved to the DLQ (each with its history); both empty when the run is clean."""
    problems = []
    redriven = []
    if not drained.empty:
        problems.append(f"the queue was not drained within {MAX_DRAIN_SECONDS:.0f} s")
    if result.lost:
        problems.append(f"{len(result.lost)} lost (neither created nor in the DLQ): {result.lost}")
    if result.unexplained:
        problems.append(
            "duplicates with no timeout-after-commit to explain them (note: extra copies): "
            f"{result.unexplained}"
        )
    created_notes = {c.body.get("ActivityNote") for c in emulator.created}
    letters = {note_of(d["Body"]): d for d in dead_letters}
    for message in messages:
        if message.kind == "valid":
            letter = letters.get(message.note)
            reason = (letter or {}).get("MessageAttributes", {}).get("ErrorType", {})
            if letter is not None and "StringValue" in reason:
                problems.append(f"valid {message.note} is in the DLQ ({reason['StringValue']})")
            elif letter is not None:
                receives, calls, untried = result.history.get(message.note, (0, 0, 0))
                redriven.append(
                    f"{message.note}: {receives} receives, {calls} calls to LeadSquared, "
                    f"handed back untried {untried} times"
                )
            elif message.note not in created_notes:
                problems.append(f"valid {message.note} was not delivered")
            continue
        if message.note in created_notes:
            problems.append(f"{message.kind} {message.note} was created in LeadSquared")
        letter = letters.get(message.note)
        if letter is None:
            problems.append(f"{message.kind} {message.note} is not in the DLQ")
            continue
        attributes = letter.get("MessageAttributes", {})
        missing = [
            name
            for name in ("ErrorType", "ErrorMessage", "OriginalMessageId", "ReceiveCount")
            if not attributes.get(name, {}).get("StringValue")
        ]
        if missing:
            problems.append(f"{message.kind} {message.note} is in the DLQ without {missing}")
            continue
        error_type = attributes["ErrorType"]["StringValue"]
        expected = "InvalidActivity" if message.kind == "invalid" else UNKNOWN_LEAD_ERROR
        if error_type != expected:
            problems.append(
                f"{message.kind} {message.note}: ErrorType {error_type}, not {expected}"
            )
    if result.dlq_copies:
        problems.append(f"messages in the DLQ more than once: {result.dlq_copies}")
    if result.timeouts:
        problems.append(
            f"{result.timeouts} invocations ran past their {FUNCTION_TIMEOUT} s timeout "
            f"(longest {result.longest_invocation:.2f} s): the deadline guard failed"
        )
    if result.errors:
        problems.append(f"{result.errors} invocations failed: {drained.stats.error_messages[:3]}")
    if drained.stats.delete_failures:
        problems.append(f"{drained.stats.delete_failures} deletes failed")
    if result.throttled > TOLERATED_THROTTLES:
        problems.append(
            f"LeadSquared throttled {result.throttled} calls that no fault caused: the "
            "function's pacing does not keep to the plan"
        )
    if result.deferred == 0:
        problems.append("no batch ran into its deadline: the soak did not exercise the guard")
    if emulator.requests_with_keys_in_url():
        problems.append("the access keys appeared in a request URL")
    return problems, redriven


# -- the soak ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def function_output_muted() -> Iterator[None]:
    """The function's expected warnings (one per fault and retry) and its metric lines would
    bury the report: while a soak runs, it logs errors only and its prints are dropped."""
    previous = logger.log_level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(previous)


@pytest.mark.parametrize(
    ("idempotency", "count"),
    [(True, MESSAGES), (False, MESSAGES // 2)],
    ids=["idempotency-on", "idempotency-off"],
)
def test_soak_under_faults_and_throttling(
    idempotency: bool,
    count: int,
    stack: LocalStack,
    emulator: Emulator,
    configure_function: Callable[[dict[str, str]], dict[str, str]],
) -> None:
    run = uuid.uuid4().hex[:8]
    queues = stack.create_queues(
        f"soak-{run}",
        max_receive_count=MAX_RECEIVE_COUNT,
        visibility_timeout=QUEUE_VISIBILITY_TIMEOUT,
    )
    env = {
        "LEADSQUARED_RATE_LIMIT": "5/0.5s",
        "LEADSQUARED_CONTAINERS": "1",
        "LEADSQUARED_READ_TIMEOUT": "0.3",
        "LEADSQUARED_CONNECT_TIMEOUT": "0.5",
        "DEADLINE_MARGIN_SECONDS": "0.2",
        "RETRY_BACKOFF_BASE_SECONDS": "1",
        "RETRY_BACKOFF_MAX_SECONDS": "2",
        "DEAD_LETTER_QUEUE_URL": queues.dlq_url,
        "MAX_RECEIVE_COUNT": str(MAX_RECEIVE_COUNT),
    }
    if idempotency:
        env["IDEMPOTENCY_TABLE_NAME"] = stack.create_idempotency_table(f"soak-idempotency-{run}")
    configure_function(env)
    emulator.configure(rate_limit=RateLimit(5, 0.5), read_timeout_seconds=0.5)

    sqs = stack.client("sqs")
    messages = soak_messages(count)
    send_all(sqs, queues.url, messages)
    handler = RecordingHandler()
    poller = SqsPoller(
        sqs, queues.url, queues.arn, handler, batch_size=10, timeout_seconds=FUNCTION_TIMEOUT
    )

    emulator.set_fault_rates(FAULT_RATES, seed=20250603)
    try:
        with function_output_muted():
            drained = poller.drain(max_seconds=MAX_DRAIN_SECONDS)
    finally:
        emulator.set_fault_rates({})

    dead_letters = read_queue(sqs, queues.dlq_url)
    result = account(messages, emulator, dead_letters, handler, drained)
    report = result.table(f"soak, idempotency {'on' if idempotency else 'off'}")
    print("\n" + report)
    problems, redriven = problems_with(result, messages, emulator, dead_letters, drained)
    near_limit = [
        f"  {note}: {receives} receives, {calls} calls, handed back untried {untried} times"
        for note, (receives, calls, untried) in sorted(result.history.items())
        if receives >= MAX_RECEIVE_COUNT - 1
    ]
    if near_limit:
        print(f"messages received at least {MAX_RECEIVE_COUNT - 1} times:", *near_limit, sep="\n")
    assert not problems, "\n".join([report, "", *problems, *redriven])
    assert not redriven, "\n".join([REDRIVEN_VALID, *redriven])


# -- the deadline guard, on its own ---------------------------------------------------------------


@dataclass
class GuardRun:
    received: int
    delivered: int
    handed_back: int
    seconds: float
    timed_out: bool
    error: str | None
    posted_and_failed: set[str]
    created: Counter[str]
    failed_notes: set[str]
    visible_again: set[str]
    notes: list[str]

    def summary(self, timeout: float) -> str:
        return (
            f"deadline guard, batch of {self.received}: {self.delivered} delivered and deleted, "
            f"{self.handed_back} handed back, answered after {self.seconds:.2f} s of {timeout} s"
        )


def run_one_batch(
    stack: LocalStack,
    emulator: Emulator,
    configure_function: Callable[[dict[str, str]], dict[str, str]],
    *,
    size: int,
    timeout: float,
    env: dict[str, str],
    idempotency: bool = True,
) -> GuardRun:
    """One poll of `size` valid messages (idempotency on by default, as the template deploys
    it). LeadSquared does not throttle here: only the deadline decides what is handed back."""
    emulator.configure(rate_limit=None)
    run = uuid.uuid4().hex[:8]
    queues = stack.create_queues(f"deadline-{run}", max_receive_count=5, visibility_timeout=30)
    function_env = {
        "LEADSQUARED_RATE_LIMIT": "1000/0.2s",
        "RETRY_BACKOFF_BASE_SECONDS": "1",
        "RETRY_BACKOFF_MAX_SECONDS": "2",
        "DEAD_LETTER_QUEUE_URL": queues.dlq_url,
        **env,
    }
    if idempotency:
        function_env["IDEMPOTENCY_TABLE_NAME"] = stack.create_idempotency_table(f"deadline-{run}")
    configure_function(function_env)
    sqs = stack.client("sqs")
    notes = [f"soak-{i:04d}" for i in range(size)]
    body = {"LeadId": PRIMARY_LEAD_ID, "ActivityEvent": 212}
    send_all(
        sqs,
        queues.url,
        [SoakMessage(n, "valid", json.dumps({**body, "ActivityNote": n})) for n in notes],
    )
    handler = RecordingHandler()
    poller = SqsPoller(
        sqs, queues.url, queues.arn, handler, batch_size=size, timeout_seconds=timeout
    )
    with function_output_muted():
        result = poller.poll_once()
    # Polled again at once, nothing is back (untried messages are put back with a delay);
    # after the base delay (RETRY_BACKOFF_BASE_SECONDS=1) every message not started is.
    early = read_queue(sqs, queues.url)
    time.sleep(1.5)
    visible_again = {note_of(m["Body"]) for m in early + read_queue(sqs, queues.url)}
    assert early == [], "untried messages came back before the base delay"
    invocation = handler.invocations[0]
    failed_notes = {str(invocation.notes[mid]) for mid in result.failed_message_ids}
    created = Counter(str(c.body["ActivityNote"]) for c in emulator.created)
    after_commit = {
        r.json.get("ActivityNote")
        for r in emulator.received
        if r.fault is Fault.TIMEOUT_AFTER_COMMIT and isinstance(r.json, dict)
    }
    return GuardRun(
        received=result.received,
        delivered=result.deleted,
        handed_back=result.failed,
        seconds=result.seconds,
        timed_out=result.timed_out,
        error=result.error,
        posted_and_failed=(failed_notes & set(created)) - after_commit,
        created=created,
        failed_notes=failed_notes,
        visible_again={n for n in visible_again if n is not None},
        notes=notes,
    )


def assert_guarded(run: GuardRun, size: int) -> None:
    assert run.received == size
    assert run.error is None
    assert 0 < run.delivered < size, "the batch should be cut short by the deadline"
    assert run.handed_back == size - run.delivered
    assert not run.posted_and_failed, f"posted yet reported failed: {sorted(run.posted_and_failed)}"
    assert sum(run.created.values()) == run.delivered
    assert set(run.created) == set(run.notes) - run.failed_notes
    assert run.visible_again == run.failed_notes, (
        "messages not started should be visible after the base delay"
    )


def test_deadline_guard_hands_back_what_it_cannot_finish(
    stack: LocalStack,
    emulator: Emulator,
    configure_function: Callable[[dict[str, str]], dict[str, str]],
) -> None:
    """Calls take 0.4 s, the function may start 2 calls in any 0.5 s (plus its 0.1 s margin)
    and an invocation has 2 s; a call needs 1 s left to start (0.2 s connect + 0.6 s read +
    0.2 s margin). So 3 or 4 calls start (one after the other, or in parallel), whatever the
    number of delivery threads. The handler must answer before its deadline, hand back the
    messages it did not start, and never report failed one that was posted."""
    emulator.configure(latency_seconds=0.4)
    run = run_one_batch(
        stack,
        emulator,
        configure_function,
        size=10,
        timeout=2.0,
        env={
            "LEADSQUARED_RATE_LIMIT": "2/0.5s",
            "LEADSQUARED_READ_TIMEOUT": "0.6",
            "LEADSQUARED_CONNECT_TIMEOUT": "0.2",
            "DEADLINE_MARGIN_SECONDS": "0.2",
        },
    )
    print("\n" + run.summary(2.0))
    assert not run.timed_out, f"the handler took {run.seconds:.2f} s of 2 s"
    assert_guarded(run, 10)


@pytest.mark.parametrize("idempotency", [True, False], ids=["idempotency-on", "idempotency-off"])
def test_deadline_guard_with_a_batch_of_100(
    idempotency: bool,
    stack: LocalStack,
    emulator: Emulator,
    configure_function: Callable[[dict[str, str]], dict[str, str]],
) -> None:
    """The template allows BatchSize 100. Once the guard stops starting calls, every record
    left still passes through the idempotency layer (a DynamoDB write, then a delete when it
    comes back undelivered) before it is handed back; that work has to fit in the margin.
    Calls take 0.25 s and may start while 0.55 s is left (0.05 s connect + 0.3 s read + 0.2 s
    margin), so at least 0.3 s is left for the rest of the batch. Without idempotency the same
    batch is the control: it must always answer in time."""
    emulator.configure(latency_seconds=0.25)
    run = run_one_batch(
        stack,
        emulator,
        configure_function,
        size=100,
        timeout=2.0,
        env={
            # One delivery at a time: the deferred records' work is not spread over threads.
            "DELIVERY_WORKERS": "1",
            "LEADSQUARED_READ_TIMEOUT": "0.3",
            "LEADSQUARED_CONNECT_TIMEOUT": "0.05",
            "DEADLINE_MARGIN_SECONDS": "0.2",
        },
        idempotency=idempotency,
    )
    print("\n" + run.summary(2.0))
    assert not run.timed_out, f"the handler took {run.seconds:.2f} s of 2 s"
    assert_guarded(run, 100)
