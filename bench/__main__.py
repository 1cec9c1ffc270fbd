"""`python -m bench`: every measurement in one run, one table on stdout and in
bench/results.local.md (ignored by git). bench/results.md is the run README.md quotes: it
changes only when someone copies a new run there on purpose."""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

from bench import budget, bytecode, cold_start, cpu, memory, preflight, report, throughput
from bench.report import Section
from bench.standins import emulator_process
from leadsquared_emulator import EmulatorConfig
from localrun.stack import local_stack

# Where each run writes its table; not results.md, which holds the quoted run.
RESULTS = Path(__file__).resolve().parent / "results.local.md"


class _Progress:
    """One line on stderr per phase; remembers how long each phase took."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self._current: tuple[str, float] | None = None
        self.phases: list[str] = []

    def __call__(self, message: str) -> None:
        self.done()
        self._current = (message, time.perf_counter())
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._current is not None:
            message, started = self._current
            self.phases.append(f"{message} {time.perf_counter() - started:.0f} s")
            self._current = None


def main() -> int:
    progress = _Progress()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    header = report.machine()
    sections: list[Section] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-bytecode-") as bytecode_dir,
        local_stack(EmulatorConfig(rate_limit=None, bulk_rate_limit=None)) as stack,
    ):
        pycache = Path(bytecode_dir)
        progress("bytecode")
        compiled = bytecode.compile_all(stack, pycache)
        progress("throughput")
        sections.append(throughput.run(stack, pycache))
        progress("shared budget (about 100 s)")
        sections.append(budget.run(stack))
        progress("schema pre-flight")
        sections.append(preflight.run(stack))
        progress("cold start")
        sections.append(cold_start.run(stack, pycache))
        with emulator_process(pycache, "--rate-limit", "none", "--bulk-rate-limit", "none") as url:
            progress("CPU")
            sections.append(cpu.run(stack, pycache, url))
            progress("memory")
            sections.append(memory.run(stack, pycache, url))
    progress.done()
    rows = [row for section in sections for row in section.rows]
    notes = [note for section in sections for note in section.notes]
    notes.append(
        "Bytecode: every measured child reads compiled bytecode, as the artifact `make build` "
        "produces does: before measuring, one run of each kind of child (every delivery path) "
        f"compiles what it imports into a private cache (PYTHONPYCACHEPREFIX; {compiled} "
        "modules of src/activity_poster, and every library), so no measurement pays for "
        "compiling and nothing is written into the source tree."
    )
    total = time.perf_counter() - progress.started
    footer = [f"Total run time: {total:.0f} s ({'; '.join(progress.phases)})."]
    print("\n".join(header))
    print()
    print(report.text_table(rows))
    print()
    print("\n".join(f"- {note}" for note in notes))
    print()
    print("\n".join(footer))
    RESULTS.write_text(report.markdown(header, rows, notes, footer), encoding="utf-8")
    print(f"\nWritten to {_shown(RESULTS)} (not tracked; bench/results.md is the quoted run).")
    return 0


def _shown(path: Path) -> str:
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


if __name__ == "__main__":
    sys.exit(main())
