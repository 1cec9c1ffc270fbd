"""Compile the bytecode of every module the measured children import, before measuring.

The built artifact carries compiled bytecode (`make build`), so no measurement may pay for
compiling. The children read and write bytecode in a cache of their own
(PYTHONPYCACHEPREFIX, see standins.child_env); one quick run of each kind of child, through
every delivery path, fills it.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.activities import activity_bodies, sqs_events
from bench.spawn import run_child
from bench.standins import ROOT, child_env
from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from localrun.stack import LocalStack


def compile_all(stack: LocalStack, pycache: Path) -> int:
    """Run each child once against the runner's emulator (no latency, no limit); returns how
    many modules of src/activity_poster now have bytecode."""
    url = stack.emulator.url
    single = child_env(stack, url, pycache, {"DELIVERY_MODE": "single"})
    auto = child_env(
        stack,
        url,
        pycache,
        {
            "DELIVERY_MODE": "auto",
            "DELIVERY_WORKERS": "25",
            "LEADSQUARED_RATE_LIMIT": "25/5s",
            "LEADSQUARED_BULK_RATE_LIMIT": "5/5s",
        },
    )
    events = sqs_events(activity_bodies(60), 60)
    for env, handler in ((single, "project"), (auto, "project"), (single, "naive")):
        run_child(
            "container", env, plan={"handler": handler, "events": events, "timeout_seconds": 60}
        )
    bodies = activity_bodies(2)
    keys = {"access_key": DEFAULT_ACCESS_KEY, "secret_key": DEFAULT_SECRET_KEY}
    run_child("bare_posts", single, plan={"bodies": bodies, **keys})
    run_child("cold_project", single, args=(json.dumps(sqs_events(bodies[:1], 1)[0]),))
    run_child("cold_floor", single, args=(json.dumps(bodies[0]),))
    return compiled_modules(pycache)


def compiled_modules(pycache: Path) -> int:
    mirror = pycache / (ROOT / "src" / "activity_poster").relative_to(ROOT.anchor)
    return sum(1 for _ in mirror.rglob("*.cpython-*.pyc"))
