"""Bad input of every kind through the real handler, to the emulator and moto over loopback.

What holds whatever arrives:
- an SQS batch fails only its bad records, delivers the good ones and never raises;
- nothing invalid reaches LeadSquared;
- an API request event answers with a documented status and a JSON body, and a request that
  is merely malformed never gets a 5xx;
- an invalid API body is a 400 whose errors name the offending fields.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as event_note
from hypothesis import strategies as st

from activity_poster.adapters.event_kind import EventKind, UnsupportedEvent, event_kind
from activity_poster.container import get_container
from activity_poster.models import MAX_BODY_BYTES, parse_activity
from leadsquared_emulator import Emulator
from localrun.stack import LocalStack, Queues
from tests.integration.events import (
    LEAD_ID,
    activity,
    api_v1_event,
    api_v2_event,
    sqs_event,
    sqs_record,
)
from tests.integration.strategies import (
    NASTY_TEXTS,
    accepted,
    any_text,
    as_json,
    broken_structure,
    invalid_bodies,
    json_scalars,
    json_values,
    safe_text,
    surrogate_in_value,
    undecodable_text,
    valid_activities,
    valid_bodies,
    with_unknown_key,
    wrongly_typed,
)

Invoke = Callable[..., Any]


def examples(count: int) -> settings:
    """Settings for a property over the real handler: `count` examples, no per-example deadline
    (a batch makes several loopback HTTP calls); the fixtures are shared by all examples."""
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


DOCUMENTED_STATUSES = {201, 400, 404, 405, 413, 415, 422, 429, 500, 502, 503, 504}
FUNCTION_URL_DOMAIN = "abcdefghijklmnop.lambda-url.us-east-1.on.aws"


@pytest.fixture
def tenant(emulator: Emulator) -> Iterator[Emulator]:
    """The emulator without its rate limit: hundreds of examples post within seconds."""
    emulator.configure(rate_limit=None, bulk_rate_limit=None)
    yield emulator


def failed_ids(answer: dict[str, Any]) -> list[str]:
    assert set(answer) == {"batchItemFailures"}, answer
    items = answer["batchItemFailures"]
    assert isinstance(items, list)
    for item in items:
        assert set(item) == {"itemIdentifier"}
        assert isinstance(item["itemIdentifier"], str)
        assert item["itemIdentifier"]
    ids = [item["itemIdentifier"] for item in items]
    assert len(ids) == len(set(ids)), ids
    return ids


# When the test events were sent (SQS SentTimestamp) or received (API Gateway's request time).
SQS_SENT_AT = "2024-06-03 07:33:20"
API_RECEIVED_AT = "2024-06-03 09:41:07"


def what_is_posted(body: str, *, sns: bool = True, sent_at: str | None = None) -> Any:
    """The JSON LeadSquared receives for a valid body: the normalised activity, with the time
    it was sent when it has no time of its own."""
    parsed = accepted(body, sns=sns)
    assert parsed is not None, body
    posted = json.loads(json.dumps(parsed.to_leadsquared()))
    posted.setdefault("ActivityDateTime", sent_at or (SQS_SENT_AT if sns else API_RECEIVED_AT))
    return posted


def assert_only_valid_activities_posted(tenant: Emulator) -> list[str]:
    """What reached the emulator, as canonical JSON in sorted order (the records of a batch are
    delivered concurrently, so in no set order); fails if any of it is not a valid activity."""
    bodies = [received.json for received in tenant.received]
    for body in bodies:
        parse_activity(body)  # raises if anything invalid reached LeadSquared
    return canonical(bodies)


def canonical(bodies: list[Any]) -> list[str]:
    return sorted(json.dumps(body, sort_keys=True) for body in bodies)


def utf8(text: str) -> bool:
    """moto stores a message body with a lone surrogate (real SQS refuses it), then fails on
    every receive from that queue; such bodies are covered by the test without a DLQ."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


# -- 1. SQS bodies: arbitrary, mistyped, huge, undecodable -----------------------------------


def batches(
    bad: st.SearchStrategy[str], max_size: int
) -> st.SearchStrategy[list[tuple[bool, str]]]:
    """Lists of (whether the body is valid, the body)."""
    return st.lists(
        st.one_of(valid_bodies.map(lambda body: (True, body)), bad.map(lambda body: (False, body))),
        min_size=1,
        max_size=max_size,
    )


@examples(150)
@given(records=batches(invalid_bodies, max_size=6))
def test_an_sqs_batch_fails_only_its_bad_records(
    invoke: Invoke, tenant: Emulator, records: list[tuple[bool, str]]
) -> None:
    tenant.reset()
    event = sqs_event(*(body for _, body in records))

    answer = invoke(event)

    bad = {f"msg-{i}" for i, (good, _) in enumerate(records) if not good}
    # No dead-letter queue is configured: a rejected message stays failed for SQS's redrive.
    assert set(failed_ids(answer)) == bad
    assert assert_only_valid_activities_posted(tenant) == canonical(
        [what_is_posted(body) for good, body in records if good]
    )


@pytest.fixture
def dead_letter_queue(
    stack: LocalStack, function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Queues:
    queues = stack.create_queues(f"bad-input-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queues.dlq_url)
    get_container.cache_clear()
    return queues


def drain(stack: LocalStack, url: str) -> list[dict[str, Any]]:
    sqs = stack.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        messages += batch
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )
    return messages


@examples(40)
@given(records=batches(invalid_bodies.filter(utf8), max_size=4))
def test_with_a_dead_letter_queue_a_bad_record_is_failed_or_dead_lettered(
    invoke: Invoke,
    tenant: Emulator,
    stack: LocalStack,
    dead_letter_queue: Queues,
    records: list[tuple[bool, str]],
) -> None:
    tenant.reset()
    drain(stack, dead_letter_queue.dlq_url)
    ids = [str(uuid.uuid4()) for _ in records]
    event = {"Records": [sqs_record(body, i) for i, (_, body) in zip(ids, records, strict=True)]}

    failed = set(failed_ids(invoke(event)))

    letters = drain(stack, dead_letter_queue.dlq_url)
    lettered = [m["MessageAttributes"]["OriginalMessageId"]["StringValue"] for m in letters]
    assert len(lettered) == len(set(lettered))
    for message_id, (good, _) in zip(ids, records, strict=True):
        if good:
            assert message_id not in failed and message_id not in lettered
        else:
            # Acknowledged only when it sits in the DLQ; failed otherwise, never both.
            assert (message_id in failed) != (message_id in lettered), message_id
    assert assert_only_valid_activities_posted(tenant) == canonical(
        [what_is_posted(body) for good, body in records if good]
    )


# -- 2. Malformed SQS records ------------------------------------------------------------------

# Values a messageId cannot be reported as.
_unreportable_ids = st.one_of(
    st.none(),
    st.integers(),
    st.booleans(),
    st.just(""),
    st.lists(safe_text, max_size=2),
    st.dictionaries(safe_text, safe_text, max_size=2),
    st.floats(allow_nan=False),
)
# A body that is not a string: it cannot be an SQS message body.
_non_string_bodies = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(json_scalars, max_size=3),
    valid_activities(),
    st.dictionaries(safe_text, json_scalars, max_size=3),
)
_junk = json_values.filter(lambda v: not str(v).endswith(".fifo"))  # not a FIFO queue's ARN
_receive_counts = st.one_of(
    st.sampled_from(["", "0", "1", "-1", "abc", "1.5", " 2", "99999999999999999999"]),
    st.integers(min_value=0, max_value=1000).map(str),
    json_scalars,
)


@st.composite
def record_flaws(draw: st.DrawFn) -> tuple[str, Callable[[dict[str, Any]], None]]:
    """(what the flaw does to the record's fate, the flaw)."""
    kind = draw(
        st.sampled_from(
            [
                "no_message_id",
                "message_id",
                "no_body",
                "body",
                "no_part",
                "part",
                "receive_count",
                "idempotency_attribute",
            ]
        )
    )
    part = draw(
        st.sampled_from(
            [
                "attributes",
                "messageAttributes",
                "receiptHandle",
                "md5OfBody",
                "awsRegion",
                "eventSourceARN",
            ]
        )
    )
    value = draw(
        {
            "message_id": _unreportable_ids,
            "body": _non_string_bodies,
            "part": _junk,
            "receive_count": _receive_counts,
            "idempotency_attribute": _junk,
        }.get(kind, st.none())
    )

    def flaw(record: dict[str, Any]) -> None:
        match kind:
            case "no_message_id":
                record.pop("messageId", None)
            case "message_id":
                record["messageId"] = value
            case "no_body":
                record.pop("body", None)
            case "body":
                record["body"] = value
            case "no_part":
                record.pop(part, None)
            case "part":
                record[part] = value
            case "receive_count":
                attributes = record.get("attributes")
                if not isinstance(attributes, dict):
                    record["attributes"] = attributes = {}
                attributes["ApproximateReceiveCount"] = value
            case _:
                record["messageAttributes"] = {"IdempotencyKey": value}

    fate = {"no_message_id": "unreportable", "message_id": "unreportable"}.get(
        kind, "failed" if kind in ("no_body", "body") else "as_its_body"
    )
    return fate, flaw


@st.composite
def flawed_records(draw: st.DrawFn) -> tuple[str, dict[str, Any], str | None]:
    """(fate, record, posted body): fate is delivered, failed or unreportable."""
    good = draw(st.booleans())
    body = draw(valid_bodies if good else invalid_bodies)
    record = sqs_record(body, f"id-{uuid.uuid4()}")
    fates = set()
    for fate, flaw in draw(st.lists(record_flaws(), max_size=2)):
        flaw(record)
        fates.add(fate)
    if "unreportable" in fates:
        return "unreportable", record, None
    if "failed" in fates or not good:
        return "failed", record, None
    return "delivered", record, body


def some_reportable(records: list[tuple[str, dict[str, Any], str | None]]) -> bool:
    """A batch where no record can be reported is a known defect, pinned by
    test_a_batch_without_any_message_id_is_answered_not_raised below."""
    return any(fate != "unreportable" for fate, _, _ in records)


@examples(120)
@given(records=st.lists(flawed_records(), min_size=1, max_size=6).filter(some_reportable))
def test_a_malformed_sqs_record_fails_only_itself(
    invoke: Invoke, tenant: Emulator, records: list[tuple[str, dict[str, Any], str | None]]
) -> None:
    tenant.reset()
    event = {"Records": [record for _, record, _ in records]}

    failed = failed_ids(invoke(copy.deepcopy(event)))
    for fate, _, _ in records:
        event_note(fate)

    expected = [r["messageId"] for fate, r, _ in records if fate == "failed"]
    assert sorted(failed) == sorted(expected)
    # A record without a usable messageId can be neither reported nor acknowledged: it is
    # left to SQS, and posting it would post it again when SQS redelivers it.
    expected_posts = [
        what_is_posted(body, sent_at=sent_at_of(record))
        for fate, record, body in records
        if fate == "delivered"
    ]
    posted = [received.json for received in tenant.received]
    for body in posted:
        parse_activity(body)  # raises if anything invalid reached LeadSquared
    # A record without a SentTimestamp is stamped with the time it was handled.
    now = datetime.now(UTC)
    for post in [*posted, *expected_posts]:
        if post.get("ActivityDateTime") == "(now)" or post.get("ActivityDateTime", "").startswith(
            f"{now:%Y-%m-%d}"
        ):
            post["ActivityDateTime"] = "(now)"
    assert canonical(posted) == canonical(expected_posts)


def sent_at_of(record: Any) -> str:
    attributes = record.get("attributes") if isinstance(record, dict) else None
    sent = attributes.get("SentTimestamp") if isinstance(attributes, dict) else None
    if isinstance(sent, str) and sent.isascii() and sent.isdigit():
        return f"{datetime.fromtimestamp(int(sent) / 1000, UTC):%Y-%m-%d %H:%M:%S}"
    return "(now)"


# -- 3. Malformed API Gateway events ------------------------------------------------------------


def base_event(version: str, body: Any) -> dict[str, Any]:
    match version:
        case "v1":
            return api_v1_event(body)
        case "v2":
            return api_v2_event(body)
        case _:
            return api_v2_event(body, domain=FUNCTION_URL_DOMAIN)


def _slots(node: Any, depth: int = 0) -> list[tuple[Any, Any]]:
    """Every (container, key) in the event down to three levels."""
    found: list[tuple[Any, Any]] = []
    if depth >= 3:
        return found
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, child in items:
        found.append((node, key))
        found += _slots(child, depth + 1)
    return found


_methods = st.sampled_from(
    ["GET", "post", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "", "TRACE"]
)
_paths = st.sampled_from(
    [
        "/",
        "",
        "/activities/",
        "/ACTIVITIES",
        "/activities?x=1",
        "//activities",
        "/v1/activities",
        "/activities/../activities",
        "activities",
        "/activities%00",
    ]
)
_header_sets = st.one_of(
    st.none(),
    st.lists(json_scalars, max_size=3),
    st.dictionaries(safe_text, st.integers(), max_size=3),
    st.dictionaries(
        st.sampled_from(
            ["content-type", "Content-Type", "CONTENT-TYPE", "idempotency-key", "Prefer"]
        ),
        json_scalars,
        max_size=3,
    ),
    st.fixed_dictionaries(
        {
            "content-type": st.sampled_from(
                [
                    "text/plain",
                    "application/xml",
                    "application/json; charset=utf-8",
                    "application/problem+json",
                    "APPLICATION/JSON",
                    "",
                    ";",
                    "json",
                ]
            )
        }
    ),
    any_text,
)
_odd_bodies = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.dictionaries(safe_text, json_scalars, max_size=3),
    valid_activities(),
    st.lists(json_scalars, max_size=3),
)
_base64_bodies = st.one_of(
    any_text,
    st.sampled_from(["abc", "!!!", "====", "YQ", "not base64 at all", "\udcff"]),
    st.binary(max_size=40).map(lambda raw: base64.b64encode(raw).decode()),
    valid_activities().map(lambda a: base64.b64encode(as_json(a).encode()).decode()),
)


def _at(event: dict[str, Any], *path: str) -> dict[str, Any] | None:
    node: Any = event
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


@st.composite
def malformed_api_events(draw: st.DrawFn) -> dict[str, Any]:
    event = base_event(draw(st.sampled_from(["v1", "v2", "url"])), draw(valid_activities()))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        mutation = draw(
            st.sampled_from(
                [
                    "drop",
                    "replace",
                    "headers",
                    "body",
                    "base64",
                    "base64_flag",
                    "request_context",
                    "method",
                    "path",
                    "content_type",
                ]
            )
        )
        slots = _slots(event)
        match mutation:
            case "drop" if slots:
                container, key = draw(st.sampled_from(slots))
                del container[key]
            case "replace" if slots:
                container, key = draw(st.sampled_from(slots))
                container[key] = draw(json_values)
            case "headers":
                event["headers"] = draw(_header_sets)
            case "body":
                event["body"] = draw(_odd_bodies)
            case "base64":
                event["isBase64Encoded"] = True
                event["body"] = draw(_base64_bodies)
            case "base64_flag":
                event["isBase64Encoded"] = draw(json_scalars)
            case "request_context":
                context = _at(event, "requestContext")
                if context is not None and draw(st.booleans()):
                    key = draw(
                        st.sampled_from(["http", "requestId", "domainName", "stage", "identity"])
                    )
                    context[key] = draw(json_values)
                else:
                    event["requestContext"] = draw(json_values)
            case "method":
                value = draw(_methods | json_scalars)
                if "httpMethod" in event:
                    event["httpMethod"] = value
                if (http := _at(event, "requestContext", "http")) is not None:
                    http["method"] = value
            case "path":
                value = draw(_paths | json_scalars)
                for key in ("path", "rawPath"):
                    if key in event:
                        event[key] = value
                if (http := _at(event, "requestContext", "http")) is not None:
                    http["path"] = value
            case "content_type":
                headers = event.get("headers")
                if isinstance(headers, dict):
                    headers.pop("Content-Type", None)
                    headers["content-type"] = draw(safe_text | json_scalars)
    return event


def request_body(event: dict[str, Any]) -> Any:
    """The body as the client sent it: API Gateway base64-encodes some bodies."""
    body = event.get("body")
    if event.get("isBase64Encoded") and isinstance(body, str) and body:
        return base64.b64decode(body.encode()).decode()
    return body


def check_answer(answer: Any) -> int:
    assert isinstance(answer, dict), answer
    status = answer.get("statusCode")
    assert type(status) is int and status in DOCUMENTED_STATUSES, answer
    if status >= 400:
        assert isinstance(answer.get("body"), str), answer
        assert isinstance(json.loads(answer["body"]), dict), answer
    return status


@examples(150)
@given(event=malformed_api_events())
def test_a_malformed_request_event_gets_a_documented_answer(
    invoke: Invoke, tenant: Emulator, event: dict[str, Any]
) -> None:
    tenant.reset()
    try:
        kind = event_kind(copy.deepcopy(event))
    except UnsupportedEvent:
        event_note("unsupported event")
        with pytest.raises(UnsupportedEvent):
            invoke(event)
        return
    assert kind is not EventKind.SQS

    status = check_answer(invoke(copy.deepcopy(event)))
    event_note(f"{kind.value} {status}")

    assert status < 500, (status, event)  # a malformed request is the caller's problem
    if status == 201:
        assert accepted(request_body(event), sns=False) is not None
    assert_only_valid_activities_posted(tenant)


# -- 4. Arbitrary API bodies ---------------------------------------------------------------------

# (the field the errors must name, or None; the body)
api_bodies = st.one_of(
    wrongly_typed().map(lambda pair: (pair[0], as_json(pair[1]))),
    with_unknown_key().map(lambda pair: (pair[0], as_json(pair[1]))),
    surrogate_in_value(),
    broken_structure().map(lambda body: (None, as_json(body))),
    json_values.map(lambda value: (None, as_json(value))),
    st.one_of(any_text, undecodable_text, st.sampled_from(NASTY_TEXTS)).map(
        lambda text: (None, text)
    ),
)


def names(field: str, errors: list[dict[str, Any]]) -> bool:
    return any(e["field"] == field or e["field"].startswith(f"{field}.") for e in errors)


@examples(150)
@given(
    version=st.sampled_from(["v1", "v2", "url"]),
    case=st.one_of(valid_activities().map(lambda a: ("valid", as_json(a))), api_bodies),
)
def test_an_api_body_is_201_only_when_it_is_a_valid_activity(
    invoke: Invoke, tenant: Emulator, version: str, case: tuple[str | None, str]
) -> None:
    tenant.reset()
    field, body = case

    answer = invoke(base_event(version, body))

    status = check_answer(answer)
    event_note(f"{'named' if field not in (None, 'valid') else field or 'other'} {status}")
    reply = json.loads(answer["body"])
    if field == "valid":
        assert status == 201, reply
        assert reply["activityId"] == tenant.created[0].activity_id
        assert assert_only_valid_activities_posted(tenant) == canonical(
            [what_is_posted(body, sns=False)]
        )
        return
    if accepted(body, sns=False) is not None:
        return  # a mutation can land on a valid activity: LeadSquared then decides (201/422)
    if len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        assert status == 413, reply  # refused unread
        assert tenant.received == []
        return
    assert status == 400, reply
    assert reply["message"] == "invalid activity"
    errors = reply["errors"]
    assert errors, reply
    for error in errors:
        assert isinstance(error["field"], str) and error["field"], error
        assert isinstance(error["message"], str) and error["message"], error
    if field is not None:
        assert names(field, errors), (field, errors)
    assert tenant.received == []


# -- Defects found by the properties above, kept as examples ------------------------------------------------------


def test_an_sqs_record_that_is_not_an_object_does_not_fail_the_batch(
    invoke: Invoke, tenant: Emulator
) -> None:
    event = sqs_event(activity(ActivityNote="good"))
    event["Records"].append("not a record")

    answer = invoke(event)

    assert failed_ids(answer) == []
    assert [c.body["ActivityNote"] for c in tenant.created] == ["good"]


@pytest.mark.parametrize(
    "body",
    [base64.b64encode(b"\xff\xfe{}").decode(), "abc"],
    ids=["latin-1-bytes", "bad-padding"],
)
def test_a_base64_body_that_is_not_utf8_text_is_400(
    invoke: Invoke, tenant: Emulator, body: str
) -> None:
    event = api_v2_event(None)
    del event["headers"]["content-type"]  # HTTP APIs base64-encode bodies without a text type
    event.update(body=body, isBase64Encoded=True)

    answer = invoke(event)

    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["errors"][0]["field"] == "(body)"


@pytest.mark.parametrize("body", [212, {"ActivityEvent": 212}, ["x"]], ids=["int", "dict", "list"])
def test_a_request_event_with_a_body_that_is_not_a_string_is_400(
    invoke: Invoke, tenant: Emulator, body: Any
) -> None:
    event = api_v1_event(None)
    event["body"] = body

    assert invoke(event)["statusCode"] == 400


@pytest.mark.parametrize(
    "headers",
    [["Content-Type"], {"Content-Type": 5}, {"Prefer": 5}],
    ids=["list", "int-content-type", "int-prefer"],
)
def test_a_request_event_with_unreadable_headers_is_400(
    invoke: Invoke, tenant: Emulator, headers: Any
) -> None:
    event = api_v1_event(activity())
    event["headers"] = headers

    assert invoke(event)["statusCode"] == 400


def test_an_unknown_key_with_a_lone_surrogate_is_named(invoke: Invoke, tenant: Emulator) -> None:
    body = '{"RelatedProspectId": "' + LEAD_ID + '", "Activity\\ud800Note": "x"}'

    answer = invoke(api_v1_event(body))

    fields = [e["field"] for e in json.loads(answer["body"])["errors"]]
    assert "ActivityEvent" in fields
    assert any(f.startswith("Activity") and f != "ActivityEvent" for f in fields), fields


def test_a_message_received_many_times_still_gets_its_retry_delay(
    invoke: Invoke, tenant: Emulator, logs: Any
) -> None:
    event = sqs_event("not json")
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "1100"

    assert failed_ids(invoke(event)) == ["msg-0"]
    assert "unexpected error" not in logs.getvalue()


@pytest.mark.parametrize("message_id", [None, "", 17], ids=["missing", "empty", "int"])
def test_a_batch_without_any_message_id_is_answered_not_raised(
    invoke: Invoke, tenant: Emulator, message_id: Any
) -> None:
    record = sqs_record(activity())
    if message_id is None:
        del record["messageId"]
    else:
        record["messageId"] = message_id

    assert failed_ids(invoke({"Records": [record]})) == []
