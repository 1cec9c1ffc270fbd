"""`make local` runs every file in events/ and says what became of each message."""

from __future__ import annotations

import os
import subprocess
import sys


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
