"""What every child shares: a Lambda context with a real deadline, and the result file."""

from __future__ import annotations

import json
import resource
import time
import uuid
from typing import Any


class BenchContext:
    """The attributes the handler reads from Lambda's context object."""

    function_name = "leadsquared-activity-poster"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    log_group_name = "/aws/lambda/leadsquared-activity-poster"
    log_stream_name = "bench"
    invoked_function_arn = (
        "arn:aws:lambda:us-east-1:123456789012:function:leadsquared-activity-poster"
    )

    def __init__(self, timeout_seconds: float) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def cpu_seconds() -> tuple[float, float]:
    """User and system CPU seconds of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def peak_rss_kb() -> int:
    """Peak resident set size of this process, in kilobytes.

    On Linux, getrusage's ru_maxrss also counts the memory the parent had when it started
    this process (the high-water mark survives fork and exec), so a child of a large runner
    reports the runner's size. VmHWM in /proc/self/status is the peak of this program alone;
    ru_maxrss is the fallback where /proc is missing.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def write_result(path: str, result: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as file:
        json.dump(result, file)
