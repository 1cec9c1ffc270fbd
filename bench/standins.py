"""Where the measured processes find LeadSquared and AWS, and the environment they get.

moto runs in the runner's process (ThreadedMotoServer, through localrun.stack); emulators
run either in the runner, when a measurement reads the emulator's request log, or in a
process of their own (python -m leadsquared_emulator), when the runner's threads must not compete
with them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from localrun.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent
# Variables of the runner's environment a child may inherit; everything else it gets is set
# here, so the runner's own PYTHON* settings never change what is measured.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


def child_env(
    stack: LocalStack, api_url: str, pycache: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The function's environment (as the template sets it) pointed at the stand-ins.

    Bytecode is read from and written to `pycache` (PYTHONPYCACHEPREFIX): after one run of
    a child, every module it imports is compiled there, as in the built artifact, without
    writing into the source tree.
    """
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update(stack.function_env())
    env.update(
        {
            "LEADSQUARED_API_URL": api_url,
            "PYTHONPATH": str(ROOT / "src"),
            "PYTHONPYCACHEPREFIX": str(pycache),
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    env.update(extra or {})
    return env


@contextmanager
def emulator_process(pycache: Path, *options: str) -> Iterator[str]:
    """The emulator's command line (python -m leadsquared_emulator, with its listen
    backlog) in a process of its own, on a free port; yields its base URL."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env["PYTHONPATH"] = str(ROOT / "emulator")
    env["PYTHONPYCACHEPREFIX"] = str(pycache)  # nothing written into the source tree
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "leadsquared_emulator", "--port", "0", "--quiet", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"the emulator did not start: {line!r}")
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
