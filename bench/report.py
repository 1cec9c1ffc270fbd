"""The one table, as aligned text for the terminal and as Markdown for
bench/results.local.md (each run's; bench/results.md keeps the quoted run)."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("metric", "this project", "naive baseline", "ratio", "target", "met?")


@dataclass(frozen=True)
class Row:
    metric: str
    project: str
    baseline: str
    ratio: str
    target: str
    met: bool | None  # None: reported for information, no target

    def cells(self) -> tuple[str, ...]:
        met = "-" if self.met is None else ("yes" if self.met else "NO")
        return (self.metric, self.project, self.baseline, self.ratio, self.target, met)


@dataclass
class Section:
    """What one measurement adds: rows of the table, and how they were measured."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> list[str]:
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average at start " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs ({_cpu_model()}){load}",
        f"python: {sys.version.split()[0]} ({platform.python_implementation()})",
    ]


def ratio(project: float, baseline: float) -> str:
    return f"{project / baseline:.2f}x" if baseline else "-"


def text_table(rows: list[Row]) -> str:
    lines = [COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]

    def render(cells: tuple[str, ...]) -> str:
        return " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([render(lines[0]), rule, *(render(line) for line in lines[1:])])


def markdown(header: list[str], rows: list[Row], notes: list[str], footer: list[str]) -> str:
    def render(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    parts = ["# Benchmark results", "", *(f"- {line}" for line in header), ""]
    parts += [render(COLUMNS), "|" + "---|" * len(COLUMNS)]
    parts += [render(row.cells()) for row in rows]
    parts += ["", "## How each number is measured", ""]
    parts += [f"- {note}" for note in notes]
    parts += ["", *footer, ""]
    return "\n".join(parts)
