"""Configuration that would dead-letter everything: refused, or never blamed on the activity."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from activity_poster.settings import ConfigurationError, Settings
from leadsquared_emulator import Emulator, Fault
from tests.integration.events import activity, api_v1_event, sqs_event


def failed_ids(answer: dict) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def test_a_base_url_with_v2_as_the_docs_print_it_delivers(invoke, emulator: Emulator, set_env):
    set_env(LEADSQUARED_API_URL=emulator.url + "/v2/")

    answer = invoke(sqs_event(activity()))

    assert failed_ids(answer) == []
    assert [r.path for r in emulator.received] == ["/v2/ProspectActivity.svc/Create"]


def test_a_url_with_another_path_is_refused_naming_the_variable():
    with pytest.raises(ConfigurationError, match="LEADSQUARED_API_URL"):
        Settings.from_env(
            {
                "LEADSQUARED_API_URL": "https://api-in21.leadsquared.com/v2/ProspectActivity.svc",
                "LEADSQUARED_SECRET_ID": "x",
            }
        )


@pytest.mark.parametrize(
    "fault", [Fault.HTML_404, Fault.METHOD_NOT_ALLOWED_405, Fault.REDIRECT_302]
)
def test_an_answer_that_is_not_leadsquareds_never_dead_letters(
    invoke, emulator: Emulator, stack, set_env, logs, capsys, fault: Fault
):
    queues = stack.create_queues(f"misconfigured-{fault.value}")
    set_env(DEAD_LETTER_QUEUE_URL=queues.dlq_url)
    emulator.inject(fault, times=20)

    answer = invoke(sqs_event(activity(), activity()))

    assert failed_ids(answer) == ["msg-0", "msg-1"]  # left for a retry, not dead-lettered
    letters = stack.client("sqs").receive_message(QueueUrl=queues.dlq_url).get("Messages", [])
    assert letters == []
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1  # one clear line, not one per message
    assert "LEADSQUARED_API_URL" in errors[0]["message"]
    assert '"ConfigurationFault"' in capsys.readouterr().out


def test_an_api_request_meeting_a_wrong_path_gets_502_not_422(invoke, emulator: Emulator):
    emulator.inject(Fault.HTML_404, times=5)

    answer = invoke(api_v1_event(activity()))

    assert answer["statusCode"] == 502


class KeyCatcher:
    """A second server, on another port: records whatever headers reach it."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen()
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}/"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            with connection:
                self.seen.append(connection.recv(65536))
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    def close(self) -> None:
        self._server.close()


def test_a_redirect_never_takes_the_keys_to_another_host(invoke, emulator: Emulator):
    catcher = KeyCatcher()
    try:
        emulator.configure(redirect_location=catcher.url)
        emulator.inject(Fault.REDIRECT_302, times=20)

        answer = invoke(sqs_event(activity()))

        assert failed_ids(answer) == ["msg-0"]
        assert catcher.seen == []
    finally:
        catcher.close()
