"""A 401 re-reads the secret once; lasting refusal is one clear log line, no key in it."""

from __future__ import annotations

import json
import time

from activity_poster.credentials import KeyStore
from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator
from localrun.stack import LocalStack
from tests.integration.events import activity, sqs_event

NEW_ACCESS = "u$r" + "a" * 32
NEW_SECRET = "b" * 40


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def rotate(stack: LocalStack, emulator: Emulator, secret_id: str, *, update_secret: bool) -> None:
    emulator.configure(access_key=NEW_ACCESS, secret_key=NEW_SECRET)
    if update_secret:
        stack.put_secret(secret_id, {"accessKey": NEW_ACCESS, "secretKey": NEW_SECRET})


def restore(stack: LocalStack, secret_id: str) -> None:
    stack.put_secret(secret_id, {"accessKey": DEFAULT_ACCESS_KEY, "secretKey": DEFAULT_SECRET_KEY})


def test_rotated_keys_are_picked_up_after_one_401(
    invoke, emulator: Emulator, stack: LocalStack, function_env
):
    secret_id = function_env["LEADSQUARED_SECRET_ID"]
    invoke(sqs_event(activity()))  # caches the old keys
    rotate(stack, emulator, secret_id, update_secret=True)
    try:
        answer = invoke(sqs_event(activity(), activity()))
    finally:
        restore(stack, secret_id)

    assert failed_ids(answer) == []
    first, *rotated = emulator.received
    assert first.status == 200
    # Both messages may meet the old keys before one of them re-reads the secret.
    assert 1 <= [r.status for r in rotated].count(401) <= 2
    accepted = [r for r in rotated if r.status == 200]
    assert len(accepted) == 2
    assert {r.header("x-lsq-accesskey") for r in accepted} == {NEW_ACCESS}


def test_lasting_401_fails_the_message_with_one_clear_line(
    invoke, emulator: Emulator, stack: LocalStack, function_env, logs
):
    secret_id = function_env["LEADSQUARED_SECRET_ID"]
    rotate(stack, emulator, secret_id, update_secret=False)

    answer = invoke(sqs_event(activity(), activity(), activity()))

    assert failed_ids(answer) == ["msg-0", "msg-1", "msg-2"]
    # One re-read of the secret for the whole batch, not one per message.
    assert [r.status for r in emulator.received] == [401, 401, 401]
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    refusals = [line for line in lines if "refuses the access keys" in line["message"]]
    assert len(refusals) == 1
    assert refusals[0]["level"] == "ERROR"
    assert secret_id in refusals[0]["message"]
    text = logs.getvalue()
    for value in (DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, NEW_ACCESS, NEW_SECRET):
        assert value not in text


def test_one_keys_object_until_the_secret_is_read_again(stack: LocalStack, function_env):
    secret_id = function_env["LEADSQUARED_SECRET_ID"]
    store = KeyStore(secret_id, max_age=300)
    first = store.get()
    assert store.get() is first  # the client builds its headers once per keys object

    stack.put_secret(secret_id, {"accessKey": NEW_ACCESS, "secretKey": NEW_SECRET})
    try:
        fresh = store.get(refresh=True)
    finally:
        restore(stack, secret_id)

    assert fresh is not first
    assert (fresh.access_key, fresh.secret_key) == (NEW_ACCESS, NEW_SECRET)


def test_the_secret_is_read_again_once_max_age_has_passed(stack: LocalStack, function_env):
    """The keys are remembered for max_age, and no longer: a rotation without any 401 is
    picked up once that time is over."""
    secret_id = function_env["LEADSQUARED_SECRET_ID"]
    store = KeyStore(secret_id, max_age=1)
    first = store.get()
    stack.put_secret(secret_id, {"accessKey": NEW_ACCESS, "secretKey": NEW_SECRET})
    try:
        assert store.get() is first  # within max_age
        time.sleep(1.1)
        later = store.get()
    finally:
        restore(stack, secret_id)

    assert (later.access_key, later.secret_key) == (NEW_ACCESS, NEW_SECRET)
