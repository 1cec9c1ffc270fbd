"""`python -m localrun.serve`: plain HTTP requests, as API Gateway REST API events, to the function."""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from localrun.serve import (
    DEFAULT_API_KEY,
    Gateway,
    ListenError,
    LocalApi,
    local_api,
    proxy_answer,
    request_event,
    startup_lines,
    unwrap_event_body,
)
from tests.integration.events import LEAD_ID, activity, api_v1_event, api_v2_event

ROOT = Path(__file__).resolve().parents[2]
EVENT_FILE = ROOT / "events" / "api-v1-post.json"
FORM = "application/x-www-form-urlencoded"  # what curl -d sends


@pytest.fixture(scope="module")
def api() -> Iterator[LocalApi]:
    with local_api(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[urllib3.PoolManager]:
    with urllib3.PoolManager(retries=False, timeout=10.0) as pool:
        yield pool


def request(
    http: urllib3.PoolManager,
    api: LocalApi,
    body: Any = None,
    *,
    method: str = "POST",
    path: str = "/activities",
    content_type: str | None = "application/json",
    key: str | None = DEFAULT_API_KEY,
    prefer: str | None = None,
) -> urllib3.BaseHTTPResponse:
    headers = {}
    if key is not None:
        headers["x-api-key"] = key
    if prefer is not None:
        headers["Prefer"] = prefer
    if content_type is not None:
        headers["Content-Type"] = content_type
    data = body if body is None or isinstance(body, str | bytes) else json.dumps(body)
    return http.request(method, api.url + path, body=data, headers=headers)


def unique_activity(**overrides: Any) -> dict[str, Any]:
    """A different note each time, so the idempotency table never replays an earlier answer."""
    return activity(ActivityNote=f"note {uuid.uuid4()}", **overrides)


# -- over HTTP, through the real function -----------------------------------------------------


def test_valid_post_is_201_with_the_activity_id(api: LocalApi, http):
    answer = request(http, api, unique_activity())

    assert answer.status == 201
    assert answer.json() == {"activityId": api.stack.emulator.created[-1].activity_id}
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["x-amzn-RequestId"]


def test_invalid_body_is_400_naming_the_field(api: LocalApi, http):
    before = len(api.stack.emulator.received)

    answer = request(http, api, unique_activity(ActivityEvent="not a number"))

    assert answer.status == 400
    assert [error["field"] for error in answer.json()["errors"]] == ["ActivityEvent"]
    assert len(api.stack.emulator.received) == before


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_without_the_api_key_the_gateway_answers_403(api: LocalApi, http, key):
    before = len(api.stack.emulator.received)

    answer = request(http, api, unique_activity(), key=key)

    assert answer.status == 403
    assert answer.json() == {"message": "Forbidden"}
    assert answer.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert len(api.stack.emulator.received) == before


def test_get_is_405(api: LocalApi, http):
    answer = request(http, api, method="GET", content_type=None)

    assert answer.status == 405
    assert answer.headers["Allow"] == "POST"


def test_unknown_path_is_404(api: LocalApi, http):
    assert request(http, api, unique_activity(), path="/leads").status == 404


def test_text_plain_is_415(api: LocalApi, http):
    answer = request(http, api, json.dumps(unique_activity()), content_type="text/plain")

    assert answer.status == 415


def test_an_event_file_sent_with_curl_d_posts_its_body(api: LocalApi, http):
    """`curl -d @events/api-v1-post.json`: the whole event, form content type, no newlines."""
    sent = EVENT_FILE.read_text().replace("\n", "")
    expected = json.loads(json.loads(sent)["body"])

    answer = request(http, api, sent, content_type=FORM)

    assert answer.status == 201
    created = api.stack.emulator.created[-1]
    assert answer.json()["activityId"] == created.activity_id
    assert created.activity_event == expected["ActivityEvent"]


def test_the_same_activity_twice_is_replayed_from_the_idempotency_table(api: LocalApi, http):
    body = unique_activity()

    first = request(http, api, body)
    second = request(http, api, body)

    assert first.status == second.status == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert [a.activity_id for a in api.stack.emulator.created].count(
        first.json()["activityId"]
    ) == 1


def test_the_function_gets_the_queue_dlq_and_table_in_its_environment(api: LocalApi):
    assert os.environ["ACTIVITY_QUEUE_URL"] == api.queues.url
    assert os.environ["DEAD_LETTER_QUEUE_URL"] == api.queues.dlq_url
    assert os.environ["IDEMPOTENCY_TABLE_NAME"] == api.idempotency_table
    api.stack.client("sqs").get_queue_attributes(QueueUrl=api.queues.url)
    api.stack.client("dynamodb").describe_table(TableName=api.idempotency_table)


# -- the SQS poller: queued activities are delivered as the deployed event source does ----------


def wait_for(condition, seconds: float = 5.0):
    """condition()'s first truthy value within `seconds`, else None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    return None


def queue_is_empty(api: LocalApi) -> bool:
    assert api.consumer is not None
    return api.consumer.poller.queue_size() == 0


def test_an_async_request_is_delivered_to_the_emulator_within_seconds(api: LocalApi, http):
    body = unique_activity()
    started = time.monotonic()

    answer = request(http, api, body, prefer="respond-async")

    assert answer.status == 202
    assert answer.json()["status"] == "queued"
    created = wait_for(
        lambda: next(
            (
                a
                for a in api.stack.emulator.created
                if a.body.get("ActivityNote") == body["ActivityNote"]
            ),
            None,
        )
    )
    assert created is not None, "the queued activity never reached the emulator"
    assert created.lead_id == LEAD_ID
    assert time.monotonic() - started < 5.0
    assert wait_for(lambda: queue_is_empty(api))


def test_a_queued_batch_is_delivered(api: LocalApi, http):
    notes = [f"batch {uuid.uuid4()}" for _ in range(3)]

    answer = request(
        http, api, [activity(ActivityNote=note) for note in notes], path="/activities/batch"
    )

    assert answer.status == 202
    assert answer.json()["queued"] == 3

    def delivered() -> bool:
        created = {a.body.get("ActivityNote") for a in api.stack.emulator.created}
        return set(notes) <= created

    assert wait_for(delivered)
    assert wait_for(lambda: queue_is_empty(api))


def test_a_queued_activity_leadsquared_rejects_is_dead_lettered_with_its_reason(
    api: LocalApi, http
):
    body = unique_activity(RelatedProspectId="00000000-0000-4000-8000-00000000dead")
    sqs = api.stack.client("sqs")

    answer = request(http, api, body, prefer="respond-async")
    assert answer.status == 202

    def dead_letter():
        messages = sqs.receive_message(
            QueueUrl=api.queues.dlq_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        return next((m for m in messages if json.loads(m["Body"]) == body), None)

    letter = wait_for(dead_letter)
    assert letter is not None, "the rejected activity never reached the dead-letter queue"
    assert letter["MessageAttributes"]["ErrorType"]["StringValue"] == "MXInvalidEntityException"
    assert wait_for(lambda: queue_is_empty(api))


def test_the_startup_lines_name_the_stand_ins_the_poller_and_the_redrive_command(api: LocalApi):
    lines = startup_lines(api)

    assert f"LeadSquared emulator at {api.stack.emulator.url}" in lines
    assert f"moto server at {api.stack.moto_url}" in lines
    assert any(line.startswith(f"SQS poller on {api.queues.url}: batches of 10") for line in lines)
    redrive = next(line.strip() for line in lines if "make redrive" in line)
    assert redrive == (
        f"AWS_ENDPOINT_URL={api.stack.moto_url} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing "
        f"AWS_SECRET_ACCESS_KEY=testing make redrive DLQ_URL={api.queues.dlq_url} "
        f"QUEUE_ARN={api.queues.arn}"
    )


def test_the_redrive_command_works_on_the_servers_dead_letter_queue(api: LocalApi):
    """The printed command, run as printed (make and all), lists this server's DLQ."""
    if shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("needs make and the project's .venv")
    redrive = next(line.strip() for line in startup_lines(api) if "make redrive" in line)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # As printed, except that make is told not to (re)install the virtual environment.
    command = redrive.replace(" make redrive ", " make -o .venv/.installed redrive ")
    assert command != redrive

    ran = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert ran.returncode == 0, ran.stderr
    assert f"Dead-letter queue {api.queues.dlq_url}" in ran.stdout
    assert "Nothing moved." in ran.stdout or "Nothing to move." in ran.stdout


def test_a_port_in_use_fails_before_anything_starts():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ListenError, match=str(port)), local_api(port=port):
            pass


# -- the event and the answer, without HTTP ---------------------------------------------------


def test_the_event_is_shaped_as_api_gateway_sends_it():
    headers = [
        ("Host", "127.0.0.1:3000"),
        ("Content-Type", "application/json"),
        ("X-Tag", "a"),
        ("x-tag", "b"),
        ("Connection", "keep-alive"),
        ("x-api-key", "k"),
    ]

    event = request_event(
        "POST",
        "/activities?source=crm&tag=1&tag=2",
        headers,
        b'{"a": 1}',
        source_ip="127.0.0.1",
        request_id="req-1",
        api_key="k",
    )

    assert event["resource"] == event["path"] == "/activities"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Tag"] == "b"
    assert event["multiValueHeaders"]["X-Tag"] == ["a", "b"]
    assert "Connection" not in event["headers"]
    assert event["queryStringParameters"] == {"source": "crm", "tag": "2"}
    assert event["multiValueQueryStringParameters"] == {"source": ["crm"], "tag": ["1", "2"]}
    assert event["pathParameters"] is None and event["stageVariables"] is None
    assert (event["body"], event["isBase64Encoded"]) == ('{"a": 1}', False)
    context = event["requestContext"]
    assert context["requestId"] == "req-1"
    assert context["stage"] == "local"
    assert context["httpMethod"] == "POST"
    assert context["resourcePath"] == context["path"] == "/activities"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["apiKey"] == "k"


def test_a_body_that_is_not_utf8_is_base64_encoded_and_no_body_is_none():
    raw = b"\xff\xfe{"

    event = request_event("POST", "/activities", [], raw, source_ip="::1", request_id="r")
    empty = request_event("GET", "/activities", [], b"", source_ip="::1", request_id="r")

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw
    assert empty["body"] is None and empty["queryStringParameters"] is None


def test_v1_and_v2_event_files_are_unwrapped_with_their_own_content_type():
    v1 = unwrap_event_body(json.dumps(api_v1_event(activity())).encode())
    v2 = unwrap_event_body(json.dumps(api_v2_event(activity())).encode())
    encoded = api_v1_event(None)
    encoded["body"] = base64.b64encode(b'{"x": 1}').decode()
    encoded["isBase64Encoded"] = True

    assert v1 is not None and json.loads(v1.body)["RelatedProspectId"] == LEAD_ID
    assert v1.content_type == "application/json"
    assert v2 is not None and v2.content_type == "application/json"
    assert unwrap_event_body(json.dumps(encoded).encode()).body == b'{"x": 1}'
    assert unwrap_event_body(json.dumps(activity()).encode()) is None
    assert unwrap_event_body(b"{not json") is None


def test_headers_and_multi_value_headers_are_merged_and_base64_bodies_decoded():
    answer = proxy_answer(
        {
            "statusCode": 429,
            "headers": {"Retry-After": "5", "X-One": "1"},
            "multiValueHeaders": {"X-One": ["1"], "Set-Cookie": ["a=1", "b=2"]},
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        }
    )

    assert answer.status == 429
    assert sorted(answer.headers) == sorted(
        [
            ("X-One", "1"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Retry-After", "5"),
            ("Content-Type", "application/json"),
        ]
    )
    assert answer.body == b"\x00\x01"


@pytest.mark.parametrize("result", [None, {"body": "x"}, {"statusCode": "abc"}])
def test_a_malformed_result_is_502_as_api_gateway_answers_it(result):
    answer = proxy_answer(result)

    assert answer.status == 502
    assert json.loads(answer.body) == {"message": "Internal server error"}


def test_an_invocation_that_raises_is_502(capsys):
    def broken(event, context):
        raise RuntimeError("boom")

    answer, _ = Gateway(broken, api_key=None).handle("POST", "/activities", [], b"{}", "::1")

    assert answer.status == 502
    assert "RuntimeError: boom" in capsys.readouterr().err


# -- the command ---------------------------------------------------------------------------


def test_the_command_serves_until_sigterm():
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("src", "emulator", ".")),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "localrun.serve", "--port", "0", "--log-level", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    )
    reader.start()
    try:
        deadline = time.monotonic() + 8.0
        url = None
        while url is None:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line.startswith("API on "):
                url = line.split()[2]
                assert f"(x-api-key: {DEFAULT_API_KEY})" in line
        answer = urllib3.request(
            "POST",
            url + "/activities",
            json=unique_activity(),
            headers={"x-api-key": DEFAULT_API_KEY},
            retries=False,
            timeout=10.0,
        )
        assert answer.status == 201
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    errors = process.stderr.read()  # a few short lines: the pipe never filled
    process.stderr.close()
    reader.join(timeout=2)
    assert process.returncode == 0
    assert "POST /activities 201" in errors
    assert errors.rstrip().endswith("stopped")
