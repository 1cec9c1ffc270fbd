"""API Gateway (REST and HTTP APIs) and function URL requests through the real handler."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from activity_poster.adapters.event_kind import UnsupportedEvent
from leadsquared_emulator import Emulator, Fault
from localrun.stack import LocalStack
from tests.integration.events import UNKNOWN_LEAD_ID, activity, api_v1_event, api_v2_event


def body_of(answer: dict) -> dict:
    return json.loads(answer["body"])


def header(answer: dict, name: str) -> str:
    """REST API answers carry multiValueHeaders, HTTP API answers plain headers."""
    if "multiValueHeaders" in answer:
        return ",".join(answer["multiValueHeaders"][name])
    return answer["headers"][name]


def test_v1_post_answers_201_with_the_activity_id(invoke, emulator: Emulator):
    answer = invoke(api_v1_event(activity()))

    assert answer["statusCode"] == 201
    assert body_of(answer) == {"activityId": emulator.created[0].activity_id}


@pytest.mark.parametrize("stage", ["$default", "v1"])
def test_v2_post_answers_201(invoke, emulator: Emulator, stage: str):
    answer = invoke(api_v2_event(activity(), stage=stage))

    assert answer["statusCode"] == 201
    assert body_of(answer)["activityId"] == emulator.created[0].activity_id


def test_function_url_post_answers_201(invoke, emulator: Emulator):
    event = api_v2_event(activity(), domain="abc123.lambda-url.us-east-1.on.aws")

    answer = invoke(event)

    assert answer["statusCode"] == 201
    assert len(emulator.created) == 1


def test_base64_body_is_decoded(invoke, emulator: Emulator):
    event = api_v1_event(None)
    event["body"] = base64.b64encode(json.dumps(activity()).encode()).decode()
    event["isBase64Encoded"] = True

    assert invoke(event)["statusCode"] == 201


def test_lead_score_is_passed_on_when_asked_for(invoke, emulator: Emulator):
    answer = invoke(api_v1_event(activity(IncludeLeadScore=True)))

    assert answer["statusCode"] == 201
    assert isinstance(body_of(answer)["leadScore"], int)


def test_lead_score_is_absent_when_not_returned(invoke, emulator: Emulator):
    answer = invoke(api_v1_event(activity()))

    assert "leadScore" not in body_of(answer)


def test_body_that_is_not_json_is_400(invoke, emulator: Emulator):
    answer = invoke(api_v1_event("{not json"))

    assert answer["statusCode"] == 400
    assert body_of(answer)["errors"][0]["field"] == "(body)"
    assert emulator.received == []


def test_invalid_activity_is_400_naming_each_field(invoke, emulator: Emulator):
    body = activity(ActivityEvent=-3, ActivityNotes="typo", ActivityDateTime="2025-02-30 10:00:00")

    answer = invoke(api_v1_event(body))

    assert answer["statusCode"] == 400
    fields = {e["field"] for e in body_of(answer)["errors"]}
    assert fields == {"ActivityEvent", "ActivityNotes", "ActivityDateTime"}
    assert emulator.received == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_other_content_types_are_415(invoke, emulator: Emulator, content_type: str):
    answer = invoke(api_v1_event(activity(), content_type=content_type))

    assert answer["statusCode"] == 415
    assert emulator.received == []


def test_leadsquared_rejection_is_422_with_its_exception(invoke, emulator: Emulator):
    answer = invoke(api_v1_event(activity(RelatedProspectId=UNKNOWN_LEAD_ID)))

    assert answer["statusCode"] == 422
    body = body_of(answer)
    assert body["errorType"] == "MXInvalidEntityException"
    assert "does not exist" in body["errorMessage"]


@pytest.mark.parametrize("throttle_status", [429, 403, 200])
def test_throttling_is_429_with_retry_after(invoke, emulator: Emulator, throttle_status: int):
    emulator.configure(throttle_status=throttle_status)
    emulator.inject(Fault.THROTTLE, times=3)  # every attempt the function makes

    answer = invoke(api_v1_event(activity()))

    assert answer["statusCode"] == 429
    assert int(header(answer, "Retry-After")) >= 1
    assert emulator.created == []


def test_refused_keys_are_502(invoke, emulator: Emulator, stack: LocalStack, monkeypatch):
    stack.put_secret("leadsquared/refused", {"accessKey": "u$rnope", "secretKey": "nope"})
    monkeypatch.setenv("LEADSQUARED_SECRET_ID", "leadsquared/refused")

    answer = invoke(api_v1_event(activity()))

    assert answer["statusCode"] == 502
    assert "u$rnope" not in answer["body"]


@pytest.mark.parametrize("fault", [Fault.HTTP_500, Fault.NON_JSON_500, Fault.DROP_CONNECTION])
def test_leadsquared_failure_is_502(invoke, emulator: Emulator, fault: Fault):
    emulator.inject(fault, times=20)  # the lookups after a dropped connection meet it too

    assert invoke(api_v1_event(activity()))["statusCode"] == 502


def test_leadsquared_timeout_is_504(invoke, emulator: Emulator, monkeypatch):
    monkeypatch.setenv("LEADSQUARED_READ_TIMEOUT", "0.3")
    emulator.configure(read_timeout_seconds=1.0)
    emulator.inject(Fault.READ_TIMEOUT, times=20)  # the lookups after a timeout meet it too

    assert invoke(api_v1_event(activity()))["statusCode"] == 504


def test_other_paths_are_404(invoke, emulator: Emulator):
    assert invoke(api_v1_event(activity(), path="/leads"))["statusCode"] == 404
    assert invoke(api_v2_event(activity(), path="/activity"))["statusCode"] == 404


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405(invoke, emulator: Emulator, method: str):
    answer = invoke(api_v1_event(None, method=method))

    assert answer["statusCode"] == 405
    assert header(answer, "Allow") == "POST"


def error_lines(logs) -> list[dict]:
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    return [line for line in lines if line["level"] == "ERROR"]


@pytest.mark.parametrize("make_event", [api_v1_event, api_v2_event])
def test_missing_configuration_is_503_and_named_in_the_log_only(
    invoke, emulator: Emulator, set_env, logs, make_event
):
    set_env(LEADSQUARED_API_URL="http://leadsquared.example.com")
    event = make_event(activity())

    answer = invoke(event)

    assert answer["statusCode"] == 503
    assert int(header(answer, "Retry-After")) >= 1
    assert body_of(answer) == {
        "message": "the service is misconfigured; retry later",
        "requestId": event["requestContext"]["requestId"],
    }
    [error] = error_lines(logs)
    assert "LEADSQUARED_API_URL" in error["message"]
    assert error["correlation_id"] == event["requestContext"]["requestId"]
    assert emulator.received == []


def test_an_unfit_secret_is_503_without_naming_it(
    invoke, emulator: Emulator, stack: LocalStack, set_env, logs
):
    stack.put_secret("leadsquared/half", {"accessKey": "u$rhalf"})
    set_env(LEADSQUARED_SECRET_ID="leadsquared/half")

    answer = invoke(api_v1_event(activity()))

    assert answer["statusCode"] == 503
    assert "Retry-After" in answer["multiValueHeaders"]
    assert "leadsquared/half" not in answer["body"]
    assert "secretKey" not in answer["body"]
    [error] = error_lines(logs)
    assert "'leadsquared/half' lacks secretKey" in error["message"]
    assert "u$rhalf" not in logs.getvalue()


def test_a_request_with_only_multi_value_headers_gets_the_content_type_check(
    invoke, emulator: Emulator
):
    event = api_v1_event(activity(), content_type="text/plain")
    del event["headers"]

    answer = invoke(event)

    assert answer["statusCode"] == 415
    assert emulator.received == []


def test_only_multi_value_headers_still_carry_prefer_and_the_idempotency_key(
    invoke, emulator: Emulator, stack: LocalStack, set_env
):
    queues = stack.create_queues(f"multi-{uuid.uuid4().hex[:8]}")
    set_env(ACTIVITY_QUEUE_URL=queues.url)
    event = api_v1_event(activity())
    event["multiValueHeaders"] |= {"Prefer": ["respond-async"], "Idempotency-Key": ["k1", "k2"]}
    del event["headers"]

    answer = invoke(event)

    assert answer["statusCode"] == 202
    [message] = stack.client("sqs").receive_message(
        QueueUrl=queues.url, MessageAttributeNames=["All"]
    )["Messages"]
    # The last value, as API Gateway puts it in `headers` when it sends both.
    assert message["MessageAttributes"]["IdempotencyKey"]["StringValue"] == "k2"
    assert emulator.received == []


@pytest.mark.parametrize("body", ["@@@", "eyJ9@", "e yJ9"], ids=str)
def test_a_base64_body_that_is_not_base64_is_400_saying_so(invoke, emulator: Emulator, body: str):
    event = api_v1_event(None)
    event.update(body=body, isBase64Encoded=True)

    answer = invoke(event)

    assert answer["statusCode"] == 400
    assert body_of(answer)["errors"] == [{"field": "(body)", "message": "is not valid base64"}]
    assert emulator.received == []


def test_a_base64_body_too_large_is_413_and_never_decoded(invoke, emulator: Emulator):
    from activity_poster.models import MAX_BODY_BYTES

    event = api_v1_event(None)
    event.update(body="@" * (MAX_BODY_BYTES * 2), isBase64Encoded=True)

    answer = invoke(event)

    assert answer["statusCode"] == 413
    assert emulator.received == []


@pytest.mark.parametrize(
    "event",
    [{}, {"Records": [{"eventSource": "aws:s3"}]}, {"detail-type": "Scheduled Event"}],
    ids=["empty", "s3", "eventbridge"],
)
def test_an_event_of_another_kind_raises_a_clear_error(invoke, event: dict):
    with pytest.raises(
        UnsupportedEvent, match=r"neither an SQS batch nor an API Gateway|no SQS message"
    ):
        invoke(event)


@pytest.mark.parametrize("make_event", [api_v1_event, api_v2_event])
def test_a_body_over_the_size_limit_is_413_and_never_read(invoke, emulator: Emulator, make_event):
    from activity_poster.models import MAX_BODY_BYTES

    huge = activity(ActivityNote="x" * MAX_BODY_BYTES)

    answer = invoke(make_event(huge))

    assert answer["statusCode"] == 413
    assert str(MAX_BODY_BYTES) in body_of(answer)["message"]
    assert len(answer["body"]) < 200
    assert emulator.created == []
