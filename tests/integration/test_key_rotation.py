"""A 401 re-reads the secret once; lasting refusal is one clear log line, no key in it."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from activity_poster.credentials import ApiKeys, CredentialsError, KeyStore
from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator
from localrun.stack import LocalStack
from tests.integration.events import activity, api_v1_event, sqs_event

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
    creates = [r for r in emulator.received if r.path.endswith("/Create")]
    assert [r.status for r in creates] == [401, 401, 401]
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    refusals = [line for line in lines if "refuses the access keys" in line["message"]]
    assert len(refusals) == 1
    assert refusals[0]["level"] == "ERROR"
    assert secret_id in refusals[0]["message"]
    text = logs.getvalue()
    for value in (DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, NEW_ACCESS, NEW_SECRET):
        assert value not in text


def test_refresh_reads_past_the_cache(stack: LocalStack, function_env):
    secret_id = function_env["LEADSQUARED_SECRET_ID"]
    store = KeyStore(secret_id, max_age=300)
    first = store.get()
    stack.put_secret(secret_id, {"accessKey": NEW_ACCESS, "secretKey": NEW_SECRET})
    try:
        cached = store.get()
        fresh = store.get(refresh=True)
        after = store.get()
    finally:
        restore(stack, secret_id)

    assert cached == first  # within max_age: the keys Powertools keeps
    assert (fresh.access_key, fresh.secret_key) == (NEW_ACCESS, NEW_SECRET)
    assert after == fresh  # the forced read replaced what Powertools keeps


def test_the_secret_is_read_again_once_max_age_has_passed(stack: LocalStack, function_env):
    """The keys are remembered for max_age, and no longer: a rotation without any 401 is
    picked up once that time is over."""
    secret_id = function_env["LEADSQUARED_SECRET_ID"]
    store = KeyStore(secret_id, max_age=1)
    first = store.get()
    stack.put_secret(secret_id, {"accessKey": NEW_ACCESS, "secretKey": NEW_SECRET})
    try:
        assert store.get() == first  # within max_age
        time.sleep(1.1)
        later = store.get()
    finally:
        restore(stack, secret_id)

    assert (later.access_key, later.secret_key) == (NEW_ACCESS, NEW_SECRET)


def test_after_refusal_re_reads_at_most_once_per_interval(stack: LocalStack, function_env):
    secret_id = function_env["LEADSQUARED_SECRET_ID"]
    store = KeyStore(secret_id, max_age=300)
    old = store.get()
    stack.put_secret(secret_id, {"accessKey": NEW_ACCESS, "secretKey": NEW_SECRET})
    try:
        rotated = store.after_refusal(old)  # re-reads past the cache: the new keys
        assert rotated is not None
        assert (rotated.access_key, rotated.secret_key) == (NEW_ACCESS, NEW_SECRET)
        assert store.after_refusal(old) == rotated  # already newer than the refused ones
        # The new keys refused too: the secret was read moments ago, so no second read.
        stack.put_secret(secret_id, {"accessKey": "u$rTHIRD", "secretKey": "third"})
        assert store.after_refusal(rotated) is None
    finally:
        restore(stack, secret_id)


class CountingProvider(SecretsProvider):
    """The real provider against moto, counting the times it asks Secrets Manager."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def _get(self, name: str, **sdk_options: Any) -> str | bytes:
        self.reads += 1
        time.sleep(0.05)  # a slow read: every thread arrives while it is under way
        return super()._get(name, **sdk_options)


def test_a_fresh_containers_threads_read_the_secret_once(stack: LocalStack, function_env):
    provider = CountingProvider()
    store = KeyStore(function_env["LEADSQUARED_SECRET_ID"], max_age=300, provider=provider)
    start = threading.Barrier(8)

    def first_call() -> ApiKeys:
        start.wait()
        return store.get()

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(lambda _: first_call(), range(8)))

    assert provider.reads == 1
    assert set(keys) == {ApiKeys(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)}


@pytest.mark.parametrize(
    ("key", "flaw"),
    [
        pytest.param("accessKey", "\r\nX-Injected: 1", id="access-key-crlf"),
        pytest.param("secretKey", "\x00", id="secret-key-nul"),
        pytest.param("secretKey", "\u20ac", id="secret-key-not-latin-1"),
    ],
)
def test_a_key_unfit_for_a_header_is_refused_when_the_secret_is_read(
    stack: LocalStack, function_env, key: str, flaw: str
):
    value = {"accessKey": DEFAULT_ACCESS_KEY, "secretKey": DEFAULT_SECRET_KEY}
    head, tail = value[key][:6], value[key][6:]
    value[key] = head + flaw + tail
    stack.put_secret("leadsquared/unfit", value)
    store = KeyStore("leadsquared/unfit", max_age=300)

    with pytest.raises(CredentialsError) as caught:
        store.get()

    message = str(caught.value)
    assert "'leadsquared/unfit'" in message
    assert f"{key} contains a " in message
    for part in (head, tail, "X-Injected", DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY):
        assert part not in message


def test_a_key_with_a_line_break_never_reaches_leadsquared_or_the_logs(
    invoke, emulator: Emulator, stack: LocalStack, set_env, logs, capfd
):
    stack.put_secret(
        "leadsquared/line-break",
        {"accessKey": "u$rBROKEN\r\nX-Injected: 1", "secretKey": "s3cr3tBROKEN"},
    )
    set_env(LEADSQUARED_SECRET_ID="leadsquared/line-break")

    answer = invoke(api_v1_event(activity()))

    assert answer["statusCode"] == 503
    assert "leadsquared/line-break" not in answer["body"]  # callers learn no configuration
    [error] = [json.loads(line) for line in logs.getvalue().splitlines() if '"ERROR"' in line]
    assert "'leadsquared/line-break'" in error["message"]
    assert "accessKey contains a control character" in error["message"]
    assert emulator.received == []
    captured = capfd.readouterr()
    everything = "\n".join([answer["body"], logs.getvalue(), captured.out, captured.err])
    for part in ("u$rBROKEN", "X-Injected", "s3cr3tBROKEN"):
        assert part not in everything


def test_keys_of_another_regional_host_are_named_in_the_error_line(
    invoke, emulator: Emulator, logs
):
    """A wrong regional host refuses every call with 401; UserByAccessKey.Get, which answers
    on any host, says which host the keys belong to."""
    emulator.configure(wrong_host=True, home_api_host="api-us11.leadsquared.com")

    answer = invoke(sqs_event(activity()))

    assert failed_ids(answer) == ["msg-0"]
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    [refusal] = [line for line in lines if "refuses the access keys" in line["message"]]
    assert "https://api-us11.leadsquared.com" in refusal["message"]
    assert "LEADSQUARED_API_URL" in refusal["message"]
