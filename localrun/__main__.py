"""`make local`: invoke the handler on every event in events/ against the local stand-ins.

    python -m localrun [--events DIR] [--verbose]

The queue the SQS events come from and its dead-letter queue are created on moto, as the
template creates them, so rejected messages go to the DLQ with their reason. Prints one
summary per event file: what became of each SQS message and why, or the HTTP status and
body of an API answer. `--verbose` also prints the function's own JSON log lines and
metrics. Needs no AWS account and no Docker.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from localrun.context import LocalLambdaContext
from localrun.stack import LocalStack, apply_env, local_stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrun", description=__doc__)
    parser.add_argument("--events", type=Path, default=Path("events"))
    parser.add_argument("--verbose", action="store_true", help="print the function's output")
    args = parser.parse_args(argv)

    files = sorted(p for p in args.events.glob("*.json") if p.name != "env.json")
    if not files:
        print(f"no event files in {args.events}", file=sys.stderr)
        return 1

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    with local_stack() as stack:
        apply_env(stack.function_env() | _queues_for(stack, files))
        print(f"LeadSquared emulator at {stack.emulator.url}, moto server at {stack.moto_url}")
        # The function's log lines and EMF metrics are kept apart from this summary.
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            from activity_poster.handler import lambda_handler  # after the environment is set

        for path in files:
            event = json.loads(path.read_text())
            before = len(stack.emulator.created)
            start = output.tell()
            with contextlib.redirect_stdout(output):
                answer = lambda_handler(event, LocalLambdaContext().as_lambda_context())
            lines = output.getvalue()[start:]
            print(f"\n== {path}")
            print(_describe(event, answer, _outcomes(lines)))
            created = len(stack.emulator.created) - before
            print(
                f"   LeadSquared created {created} {'activity' if created == 1 else 'activities'}"
            )
            if args.verbose:
                print(
                    "   function output:\n"
                    + "".join(f"     {line}\n" for line in lines.splitlines())
                )
    return 0


def _queues_for(stack: LocalStack, files: list[Path]) -> dict[str, str]:
    """Create the queue the SQS events name (and its DLQ); the function's settings for them."""
    for path in files:
        for record in json.loads(path.read_text()).get("Records", []):
            name = str(record.get("eventSourceARN", "")).rsplit(":", 1)[-1]
            if name:
                queues = stack.create_queues(name)
                return {"DEAD_LETTER_QUEUE_URL": queues.dlq_url, "ACTIVITY_QUEUE_URL": queues.url}
    return {}


def _outcomes(lines: str) -> dict[str, str]:
    """messageId -> what the function's outcome line for it says."""
    found: dict[str, str] = {}
    for line in lines.splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and "outcome" in entry and "message_id" in entry:
                detail = entry.get("error_message") or entry.get("reason") or ""
                error = entry.get("error_type")
                found[entry["message_id"]] = ": ".join(
                    str(part) for part in (entry["outcome"], error, detail) if part
                )
            elif isinstance(entry, dict) and entry.get("message") == (
                "message moved to the dead-letter queue"
            ):
                found[entry["message_id"]] = found.get(entry["message_id"], "") + " DLQ"
    return found


def _describe(event: dict[str, Any], answer: dict[str, Any], outcomes: dict[str, str]) -> str:
    if "Records" in event:
        failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        lines = [f"   SQS batch of {len(event['Records'])}: {len(failed)} left on the queue"]
        for record in event["Records"]:
            message_id = record["messageId"]
            outcome = outcomes.get(message_id, "")
            if message_id in failed:
                verdict = f"left on the queue for a retry ({outcome})"
            elif outcome.endswith(" DLQ"):
                verdict = f"moved to the dead-letter queue with the reason ({outcome[:-4]})"
            else:
                verdict = outcome or "acknowledged"
            lines.append(f"   - {message_id}: {verdict}")
        return "\n".join(lines)
    headers = answer.get("multiValueHeaders") or answer.get("headers") or {}
    retry_after = headers.get("Retry-After")
    suffix = f" (Retry-After: {retry_after})" if retry_after else ""
    return f"   HTTP {answer.get('statusCode')}{suffix}: {answer.get('body')}"


if __name__ == "__main__":
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "INFO")
    sys.exit(main())
