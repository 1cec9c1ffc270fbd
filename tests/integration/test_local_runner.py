"""`make local` runs every file in events/ and says what became of each message; `make
stand-ins` starts what events/env.json names; `make bench` writes no tracked file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import urllib3

from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from localrun import standins


def test_local_runner_reports_every_event_file():
    result = subprocess.run(
        [sys.executable, "-m", "localrun"],
        env={**os.environ, "PYTHONPATH": "src:emulator:."},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    out = result.stdout
    for name in ("api-invalid", "api-v1-post", "api-v2-post", "sqs-batch-mixed", "sqs-batch-valid"):
        assert f"== events/{name}.json" in out
    assert out.count("HTTP 201") == 2
    assert "HTTP 400" in out
    assert "moved to the dead-letter queue with the reason (invalid: InvalidActivity" in out
    assert "MXInvalidEntityException" in out
    assert "- 5b1e3f9a-7c2d-4e81-9a6b-0c4d2e8f1a37: delivered" in out


# -- make stand-ins ----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = ROOT / "events" / "env.json"


def test_the_stand_ins_plan_is_what_env_json_names():
    plan = standins.load_plan(ENV_FILE)
    env = json.loads(ENV_FILE.read_text())["ActivityPosterFunction"]

    assert plan.emulator_port == int(env["LEADSQUARED_API_URL"].rsplit(":", 1)[1])
    assert plan.moto_port == int(env["AWS_ENDPOINT_URL"].rsplit(":", 1)[1])
    assert plan.secret_id == env["LEADSQUARED_SECRET_ID"] == "leadsquared/api-keys"
    assert env["ACTIVITY_QUEUE_URL"].endswith("/" + plan.queue_name)
    assert env["DEAD_LETTER_QUEUE_URL"].endswith("/" + plan.dlq_name)
    assert plan.region == env["AWS_DEFAULT_REGION"]
    assert plan.fifo is (env["FIFO_QUEUE"] == "true")
    assert plan.idempotency_table == env.get("IDEMPOTENCY_TABLE_NAME", "")
    assert plan.budget_table == env.get("LEADSQUARED_BUDGET_TABLE", "")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def env_file_on_free_ports(tmp_path: Path) -> tuple[Path, int, int]:
    """events/env.json with the emulator and moto moved to free ports."""
    emulator_port, moto_port = free_port(), free_port()
    document = json.loads(ENV_FILE.read_text())
    env = document["ActivityPosterFunction"]
    for name, value in list(env.items()):
        value = value.replace(":8701", f":{emulator_port}").replace(":5001", f":{moto_port}")
        env[name] = value
    path = tmp_path / "env.json"
    path.write_text(json.dumps(document))
    return path, emulator_port, moto_port


def standins_command(env_file: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "localrun.standins",
        "--host",
        "127.0.0.1",
        "--env-file",
        str(env_file),
    ]


def test_the_stand_ins_start_with_the_secret_and_queues_env_json_names(tmp_path: Path):
    env_file, emulator_port, moto_port = env_file_on_free_ports(tmp_path)
    process = subprocess.Popen(
        standins_command(env_file),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": "src:emulator:."},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C stops."):
                break
        moto_url = f"http://127.0.0.1:{moto_port}"
        assert f"LeadSquared emulator at http://127.0.0.1:{emulator_port}" in lines[0]
        assert f"moto server at {moto_url}" in lines[1]
        assert any(line.strip().startswith(f"AWS_ENDPOINT_URL={moto_url} ") for line in lines)

        aws = {"endpoint_url": moto_url, "region_name": "us-east-1"}
        aws |= {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        secret = boto3.client("secretsmanager", **aws).get_secret_value(
            SecretId="leadsquared/api-keys"
        )
        assert json.loads(secret["SecretString"]) == {
            "accessKey": DEFAULT_ACCESS_KEY,
            "secretKey": DEFAULT_SECRET_KEY,
        }
        sqs = boto3.client("sqs", **aws)
        dlq_url = sqs.get_queue_url(QueueName="activities-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        queue_url = sqs.get_queue_url(QueueName="activities")["QueueUrl"]
        policy = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
        assert json.loads(policy["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"] == dlq_arn

        answer = urllib3.request(
            "GET",
            f"http://127.0.0.1:{emulator_port}/v2/Authentication.svc/UserByAccessKey.Get",
            headers={"x-LSQ-AccessKey": DEFAULT_ACCESS_KEY, "x-LSQ-SecretKey": DEFAULT_SECRET_KEY},
            retries=False,
            timeout=5.0,
        )
        assert answer.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0


def test_the_stand_ins_say_so_in_one_line_when_a_port_is_taken(tmp_path: Path):
    env_file, _, moto_port = env_file_on_free_ports(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", moto_port))
        taken.listen()
        ran = subprocess.run(
            standins_command(env_file),
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": "src:emulator:."},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert ran.returncode == 1
    assert ran.stderr.startswith(f"error: cannot listen on 127.0.0.1:{moto_port} for moto: ")
    assert ran.stderr.count("\n") == 1


# -- make bench ----------------------------------------------------------------------------------


def test_bench_writes_its_results_to_an_ignored_file():
    """bench/results.md is the run README.md quotes; each `make bench` run goes elsewhere."""
    from bench.__main__ import RESULTS

    assert RESULTS == ROOT / "bench" / "results.local.md"
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git to check .gitignore")
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", str(RESULTS.relative_to(ROOT))], cwd=ROOT
    )
    assert ignored.returncode == 0, "bench/results.local.md is not ignored by git"
