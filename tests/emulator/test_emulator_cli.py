"""`python -m leadsquared_emulator` as `make local` runs it."""

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import urllib3

from leadsquared_emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    PRIMARY_LEAD_ID,
    BulkAnswerShape,
    EmulatorConfig,
    Fault,
    RetrieveShape,
)
from leadsquared_emulator.__main__ import build_parser, config_from_args

EMULATOR_DIR = Path(__file__).resolve().parents[2] / "emulator"
READY = re.compile(r"^LeadSquared emulator listening on (http://127\.0\.0\.1:(\d+))$")


def _start(*args):
    env = dict(os.environ, PYTHONPATH=str(EMULATOR_DIR), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "leadsquared_emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _ready_url(process):
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert line, "emulator did not print its ready line"
    match = READY.match(line[0].strip())
    assert match, line[0]
    assert int(match[2]) > 0
    return match[1]


def test_cli_serves_logs_without_keys_and_stops_on_sigterm():
    process = _start("--rate-limit", "2/5s", "--throttle-status", "403", "--latency", "0")
    try:
        url = _ready_url(process)
        http = urllib3.PoolManager(retries=False, timeout=5.0)
        create = (
            f"{url}/v2/ProspectActivity.svc/Create"
            f"?accessKey={DEFAULT_ACCESS_KEY.replace('$', '%24')}&secretKey={DEFAULT_SECRET_KEY}"
        )
        body = f'{{"RelatedProspectId": "{PRIMARY_LEAD_ID}", "ActivityEvent": 212}}'
        headers = {"Content-Type": "application/json"}
        statuses = [
            http.request("POST", create, body=body, headers=headers).status for _ in range(3)
        ]
        assert statuses == [200, 200, 403]
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "POST /v2/ProspectActivity.svc/Create 200" in stderr
    assert "POST /v2/ProspectActivity.svc/Create 403" in stderr
    assert DEFAULT_SECRET_KEY not in stderr
    assert "accessKey" not in stderr
    assert "u$r" not in stderr and "u%24r" not in stderr


def test_cli_fault_rates_and_sigint():
    process = _start("--fault-rate", "HTTP_503=1.0", "--seed", "1", "--quiet")
    try:
        url = _ready_url(process)
        response = urllib3.PoolManager(retries=False, timeout=5.0).request(
            "POST", url + "/v2/ProspectActivity.svc/Create", body=b"{}"
        )
        assert response.status == 503
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "POST" not in stderr


def test_cli_arguments_map_onto_config():
    args = build_parser().parse_args(
        [
            "--rate-limit", "none",
            "--bulk-rate-limit", "10/0.5s",
            "--throttle-status", "200",
            "--app-error-status", "200",
            "--latency", "0.3",
            "--lead-score-key", "none",
            "--activity-event", "212",
            "--activity-event", "213",
            "--bulk-omit-failed-rows",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.rate_limit is None
    assert (config.bulk_rate_limit.calls, config.bulk_rate_limit.window_seconds) == (10, 0.5)
    assert (config.throttle_status, config.app_error_status) == (200, 200)
    assert config.latency_seconds == 0.3
    assert config.lead_score_key is None
    assert config.activity_events == frozenset({212, 213})
    assert config.bulk_omit_failed_rows


def test_cli_new_switches_map_onto_config():
    args = build_parser().parse_args(
        [
            "--retrieve-shape", "note_in_notable_event_description",
            "--bulk-answer-shape", "COUNT_ONLY",
            "--home-api-host", "api-in21.leadsquared.com",
            "--wrong-host",
            "--redirect-location", "http://127.0.0.1:8/",
            "--max-note-length", "200",
            "--reject-future-activity-time",
            "--no-bulk-row-exception-type",
            "--fault-rate", "DROP_AFTER_COMMIT=0.1",
            "--fault-rate", "redirect_302=0.05",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.retrieve_shape is RetrieveShape.NOTE_IN_NOTABLE_EVENT_DESCRIPTION
    assert config.bulk_answer_shape is BulkAnswerShape.COUNT_ONLY
    assert config.home_api_host == "api-in21.leadsquared.com"
    assert config.wrong_host
    assert config.redirect_location == "http://127.0.0.1:8/"
    assert config.max_note_length == 200
    assert config.reject_future_activity_time
    assert not config.bulk_row_exception_type
    assert dict(args.fault_rate) == {Fault.DROP_AFTER_COMMIT: 0.1, Fault.REDIRECT_302: 0.05}


def test_cli_answer_size_and_pace_switches_map_onto_config():
    args = build_parser().parse_args(
        ["--trickle-interval", "0.05", "--huge-answer-bytes", "4096", "--fault-rate", "gzip_bomb=1"]
    )
    config = config_from_args(args)
    assert (config.trickle_interval_seconds, config.huge_answer_bytes) == (0.05, 4096)
    assert dict(args.fault_rate) == {Fault.GZIP_BOMB: 1.0}


def test_cli_defaults_match_the_config_defaults():
    assert config_from_args(build_parser().parse_args([])) == EmulatorConfig()


def test_cli_help_documents_every_flag_and_fault():
    parser = build_parser()
    text = parser.format_help()
    for action in parser._actions:
        assert action.help, action.option_strings
        for option in action.option_strings:
            assert option in text
    for flag in (
        "--retrieve-shape",
        "--bulk-answer-shape",
        "--home-api-host",
        "--wrong-host",
        "--redirect-location",
    ):
        assert flag in text
    for fault in Fault:
        assert re.search(rf"^  {fault.name} +\S", text, re.MULTILINE), fault.name
    flat = " ".join(text.split())
    for shape in [*RetrieveShape, *BulkAnswerShape]:
        assert shape.value in flat


def test_cli_help_runs():
    env = dict(os.environ, PYTHONPATH=str(EMULATOR_DIR), COLUMNS="100")
    result = subprocess.run(
        [sys.executable, "-m", "leadsquared_emulator", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0
    assert "--wrong-host" in result.stdout
    assert "DROP_AFTER_COMMIT" in result.stdout


def test_cli_wrong_host_and_home_host():
    process = _start("--wrong-host", "--home-api-host", "api-us11.leadsquared.com", "--quiet")
    try:
        url = _ready_url(process)
        http = urllib3.PoolManager(retries=False, timeout=5.0)
        headers = {"x-LSQ-AccessKey": DEFAULT_ACCESS_KEY, "x-LSQ-SecretKey": DEFAULT_SECRET_KEY}
        user = http.request(
            "GET", url + "/v2/Authentication.svc/UserByAccessKey.Get", headers=headers
        )
        assert user.status == 200
        assert user.json()["LSQCommonServiceURLs"]["api"] == "api-us11.leadsquared.com"
        create = http.request(
            "POST",
            url + "/v2/ProspectActivity.svc/Create",
            body=f'{{"RelatedProspectId": "{PRIMARY_LEAD_ID}", "ActivityEvent": 212}}',
            headers={**headers, "Content-Type": "application/json"},
        )
        assert create.status == 401
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["--rate-limit", "fast"],
        ["--fault-rate", "HTTP_500"],
        ["--fault-rate", "BOOM=0.1"],
        ["--retrieve-shape", "sideways"],
        ["--bulk-answer-shape", "rows"],
    ],
)
def test_cli_rejects_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
