"""Command line: run the emulator until SIGTERM/SIGINT, e.g. behind `make local`.

Request logs go to stderr as `METHOD /path STATUS`; query strings are never printed because
they may carry the access and secret keys.
"""

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .config import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, EmulatorConfig, RateLimit
from .faults import Fault
from .models import Received
from .server import Emulator


def _rate_limit(text: str) -> RateLimit | None:
    try:
        return RateLimit.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _fault_rate(text: str) -> tuple[Fault, float]:
    name, sep, rate = text.partition("=")
    try:
        if not sep:
            raise ValueError("expected NAME=RATE, e.g. HTTP_500=0.1")
        return Fault.parse(name), float(rate)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _optional_key(text: str) -> str | None:
    return None if text.strip().lower() in ("", "none") else text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m leadsquared_emulator",
        description="Run a local LeadSquared API emulator.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    add("--port", type=int, default=8701, help="port; 0 picks a free one (default: %(default)s)")
    add("--access-key", default=DEFAULT_ACCESS_KEY)
    add("--secret-key", default=DEFAULT_SECRET_KEY)
    add("--rate-limit", type=_rate_limit, default=RateLimit(25, 5.0), help="e.g. 25/5s or none")
    add("--bulk-rate-limit", type=_rate_limit, default=RateLimit(5, 5.0), help="e.g. 5/5s")
    add("--count-throttled", action="store_true", help="throttled calls also fill the window")
    add("--throttle-status", type=int, default=429, help="429, 403 or 200")
    add("--app-error-status", type=int, default=500, help="500 or 200")
    add("--latency", type=float, default=0.0, help="seconds added to every answer")
    add("--read-timeout", type=float, default=30.0, help="seconds the hanging faults hang")
    add("--lead-score-key", type=_optional_key, default="LeadScore", help="or 'none'")
    add("--accept-unknown-leads", action="store_true", help="any lead id exists")
    add("--activity-event", type=int, action="append", help="allowed code (repeatable)")
    add("--bulk-max-rows", type=int, default=25)
    add("--bulk-omit-failed-rows", action="store_true")
    add(
        "--fault-rate",
        type=_fault_rate,
        action="append",
        default=[],
        metavar="NAME=RATE",
        help="probabilistic fault, e.g. HTTP_500=0.1 (repeatable)",
    )
    add("--seed", type=int, default=None, help="seed for --fault-rate draws")
    add("--quiet", action="store_true", help="do not log requests")
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        access_key=args.access_key,
        secret_key=args.secret_key,
        rate_limit=args.rate_limit,
        bulk_rate_limit=args.bulk_rate_limit,
        count_throttled=args.count_throttled,
        throttle_status=args.throttle_status,
        app_error_status=args.app_error_status,
        latency_seconds=args.latency,
        read_timeout_seconds=args.read_timeout,
        lead_score_key=args.lead_score_key,
        accept_unknown_leads=args.accept_unknown_leads,
        activity_events=frozenset(args.activity_event) if args.activity_event else None,
        bulk_max_rows=args.bulk_max_rows,
        bulk_omit_failed_rows=args.bulk_omit_failed_rows,
    )


def _log_request(received: Received) -> None:
    status = "-" if received.status is None else str(received.status)
    fault = f" fault={received.fault.value}" if received.fault is not None else ""
    print(f"{received.method} {received.path} {status}{fault}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    emulator = Emulator(
        config, args.host, args.port, on_request=None if args.quiet else _log_request
    )
    if args.fault_rate:
        emulator.set_fault_rates(dict(args.fault_rate), seed=args.seed)

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        emulator.start()
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    print(f"LeadSquared emulator listening on {emulator.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
