"""Start a measured child process and read back its result file."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.standins import ROOT


class ChildFailed(RuntimeError):
    """A measured process exited with an error or wrote no result."""


@dataclass(frozen=True)
class ChildRun:
    result: dict[str, Any]
    spawned_ns: int  # time.time_ns() in the runner just before the process was started
    exited_ns: int  # time.time_ns() in the runner once the process had exited


def run_child(
    module: str,
    env: Mapping[str, str],
    *,
    plan: Mapping[str, Any] | None = None,
    args: tuple[str, ...] = (),
    timeout: float = 180.0,
) -> ChildRun:
    """`python -m bench.children.<module> RESULT [PLAN] [args]`, its stdout discarded."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        result_path = Path(tmp) / "result.json"
        command = [sys.executable, "-m", f"bench.children.{module}", str(result_path)]
        if plan is not None:
            plan_path = Path(tmp) / "plan.json"
            plan_path.write_text(json.dumps(plan), encoding="utf-8")
            command.append(str(plan_path))
        command.extend(args)
        spawned = time.time_ns()
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            command,
            env=dict(env),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
        exited = time.time_ns()
        if completed.returncode != 0 or not result_path.exists():
            tail = completed.stderr.decode(errors="replace")[-2000:]
            raise ChildFailed(f"{module} exited with {completed.returncode}:\n{tail}")
        result = json.loads(result_path.read_text(encoding="utf-8"))
    return ChildRun(result, spawned, exited)
