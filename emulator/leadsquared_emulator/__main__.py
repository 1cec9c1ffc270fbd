"""Command line: run the emulator until SIGTERM/SIGINT, e.g. behind `make local`.

Request logs go to stderr as `METHOD /path STATUS`; query strings are never printed because
they may carry the access and secret keys.
"""

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from .config import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    BulkAnswerShape,
    EmulatorConfig,
    RateLimit,
    RetrieveShape,
)
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


def _choice[C: (RetrieveShape, BulkAnswerShape)](kind: type[C]) -> Callable[[str], C]:
    def parse(text: str) -> C:
        try:
            return kind.parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _values(kind: type[RetrieveShape] | type[BulkAnswerShape]) -> str:
    return ", ".join(member.value for member in kind)


def _fault_list() -> str:
    width = max(len(fault.name) for fault in Fault)
    lines = [f"  {fault.name:<{width}}  {fault.description}" for fault in Fault]
    return "faults (NAME in --fault-rate; case-insensitive):\n" + "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m leadsquared_emulator",
        description="Run a local LeadSquared API emulator.",
        epilog=_fault_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    add("--port", type=int, default=8701, help="port; 0 picks a free one (default: %(default)s)")
    add("--access-key", default=DEFAULT_ACCESS_KEY, help="the tenant's access key")
    add("--secret-key", default=DEFAULT_SECRET_KEY, help="the tenant's secret key")
    add(
        "--rate-limit",
        type=_rate_limit,
        default=RateLimit(25, 5.0),
        help="calls per window, e.g. 25/5s or none (default: 25/5s)",
    )
    add(
        "--bulk-rate-limit",
        type=_rate_limit,
        default=RateLimit(5, 5.0),
        help="the bulk endpoints' own budget, e.g. 5/5s (default: 5/5s)",
    )
    add("--count-throttled", action="store_true", help="throttled calls also fill the window")
    add(
        "--throttle-status",
        type=int,
        default=429,
        help="status of a throttled call: 429, 403 or 200 (default: 429)",
    )
    add(
        "--app-error-status",
        type=int,
        default=500,
        help="status of MX... application errors: 500 or 200 (default: 500)",
    )
    add("--latency", type=float, default=0.0, help="seconds added to every answer")
    add("--read-timeout", type=float, default=30.0, help="seconds the hanging faults hang")
    add(
        "--trickle-interval",
        type=float,
        default=0.2,
        help="seconds between the bytes of a TRICKLE answer (default: %(default)s)",
    )
    add(
        "--huge-answer-bytes",
        type=int,
        default=50 * 1024 * 1024,
        help="body size of a HUGE_ANSWER (default: %(default)s, 50 MiB)",
    )
    add(
        "--lead-score-key",
        type=_optional_key,
        default="LeadScore",
        help="Message key for IncludeLeadScore, or 'none' (default: LeadScore)",
    )
    add("--accept-unknown-leads", action="store_true", help="any lead id exists")
    add(
        "--activity-event",
        type=int,
        action="append",
        help="an allowed ActivityEvent code (repeatable; default: any)",
    )
    add("--max-note-length", type=int, default=None, help="reject longer notes (default: none)")
    add(
        "--reject-future-activity-time",
        action="store_true",
        help="reject an ActivityDateTime later than now",
    )
    add("--bulk-max-rows", type=int, default=25, help="rows per bulk call (default: 25)")
    add(
        "--bulk-omit-failed-rows",
        action="store_true",
        help="leave failed rows out of the bulk answer",
    )
    add(
        "--no-bulk-row-exception-type",
        dest="bulk_row_exception_type",
        action="store_false",
        help="failed bulk rows carry ExceptionMessage only",
    )
    add(
        "--bulk-answer-shape",
        type=_choice(BulkAnswerShape),
        default=BulkAnswerShape.FULL,
        metavar="SHAPE",
        help=f"how bulk rows are reported: {_values(BulkAnswerShape)} (default: %(default)s)",
    )
    add(
        "--retrieve-shape",
        type=_choice(RetrieveShape),
        default=RetrieveShape.DEFAULT,
        metavar="SHAPE",
        help=(
            "where Retrieve puts the note and date: "
            f"{_values(RetrieveShape)} (default: %(default)s)"
        ),
    )
    add(
        "--home-api-host",
        default=None,
        help="the API host UserByAccessKey.Get names (default: this emulator's own URL)",
    )
    add(
        "--wrong-host",
        action="store_true",
        help="act as another region's host: 401 on every endpoint but UserByAccessKey.Get",
    )
    add(
        "--redirect-location",
        default="http://127.0.0.1:9/",
        help="Location of the REDIRECT_302 fault (default: %(default)s)",
    )
    add(
        "--fault-rate",
        type=_fault_rate,
        action="append",
        default=[],
        metavar="NAME=RATE",
        help="probabilistic fault, e.g. HTTP_500=0.1 (repeatable; NAMEs below)",
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
        trickle_interval_seconds=args.trickle_interval,
        huge_answer_bytes=args.huge_answer_bytes,
        lead_score_key=args.lead_score_key,
        accept_unknown_leads=args.accept_unknown_leads,
        activity_events=frozenset(args.activity_event) if args.activity_event else None,
        max_note_length=args.max_note_length,
        reject_future_activity_time=args.reject_future_activity_time,
        bulk_max_rows=args.bulk_max_rows,
        bulk_omit_failed_rows=args.bulk_omit_failed_rows,
        bulk_row_exception_type=args.bulk_row_exception_type,
        bulk_answer_shape=args.bulk_answer_shape,
        retrieve_shape=args.retrieve_shape,
        home_api_host=args.home_api_host,
        wrong_host=args.wrong_host,
        redirect_location=args.redirect_location,
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
