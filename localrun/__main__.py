"""`make local`: invoke the handler on every event in events/ against the local stand-ins.

    python -m localrun [--events DIR] [--log-level LEVEL]

Prints one summary per event file: which SQS messages were delivered or failed, or the
HTTP status and body of an API answer. Needs no AWS account and no Docker.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from localrun.context import LocalLambdaContext
from localrun.stack import apply_env, local_stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrun", description=__doc__)
    parser.add_argument("--events", type=Path, default=Path("events"))
    parser.add_argument("--log-level", default="WARNING", help="function log level")
    args = parser.parse_args(argv)

    files = sorted(p for p in args.events.glob("*.json") if p.name != "env.json")
    if not files:
        print(f"no event files in {args.events}", file=sys.stderr)
        return 1

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    with local_stack() as stack:
        apply_env(stack.function_env())
        os.environ["POWERTOOLS_LOG_LEVEL"] = args.log_level
        print(f"LeadSquared emulator at {stack.emulator.url}, moto server at {stack.moto_url}")
        from activity_poster.handler import lambda_handler  # after the environment is set

        for path in files:
            event = json.loads(path.read_text())
            before = len(stack.emulator.created)
            answer = lambda_handler(event, LocalLambdaContext().as_lambda_context())
            print(f"\n== {path}")
            print(_describe(event, answer))
            print(f"   LeadSquared created {len(stack.emulator.created) - before} activities")
    return 0


def _describe(event: dict[str, Any], answer: dict[str, Any]) -> str:
    if "Records" in event:
        failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        lines = [f"   SQS batch of {len(event['Records'])}: {len(failed)} to retry"]
        for record in event["Records"]:
            verdict = (
                "FAILED (stays on the queue)" if record["messageId"] in failed else "delivered"
            )
            lines.append(f"   - {record['messageId']}: {verdict}")
        return "\n".join(lines)
    body = answer.get("body")
    headers = answer.get("multiValueHeaders") or answer.get("headers") or {}
    retry_after = headers.get("Retry-After")
    suffix = f" (Retry-After: {retry_after})" if retry_after else ""
    return f"   HTTP {answer.get('statusCode')}{suffix}: {body}"


if __name__ == "__main__":
    sys.exit(main())
