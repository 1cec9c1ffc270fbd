"""The Powertools logger shared by every module, with personal data masked on the way out.

Nothing logs an activity's body, but LeadSquared's error messages can quote an email
address or a phone number (for example in a duplicate-entry error); the formatter masks
both in every line, in every value except the identifiers, numbers and fixed words that
this function or AWS sets (`_TRUSTED_KEYS`).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import RESERVED_LOG_ATTRS, LambdaPowertoolsFormatter

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.types import LogRecord

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
# Phone numbers: international (+ and 8 to 15 digits, with single separators between them),
# or a bare run of 10 to 15 digits. The guards leave GUIDs, timestamps and decimals alone.
_PHONE = re.compile(
    r"\+\d(?:[ ().-]{0,2}\d){5,12}(\d{2})(?!\d)"
    r"|(?<![\w.:+-])\d{8,13}(\d{2})(?![\w.:-])"
)


# Most lines hold neither; these cheap checks skip the full patterns for them.
_MAYBE_PHONE = re.compile(r"\+\d|\d{8}")


def mask_personal_data(text: str) -> str:
    """`priya.nair@example.org` -> `p***@example.org`; `+91-9876501234` -> `***34`."""
    if "@" in text:
        text = _EMAIL.sub(r"\1***@\2", text)
    if _MAYBE_PHONE.search(text):
        text = _PHONE.sub(lambda match: "***" + (match[1] or match[2]), text)
    return text


# Keys whose values this function or AWS sets, never a payload or LeadSquared's text:
# identifiers, numbers and fixed words. Every other string is masked.
_TRUSTED_KEYS = frozenset(
    {
        "level",
        "location",
        "timestamp",
        "service",
        "sampling_rate",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "xray_trace_id",
        "message_id",
        "correlation_id",
        "outcome",
        "activity_id",
        "latency_ms",
        "attempts",
        "via",
        "http_status",
    }
)
# Record attributes that are not `extra` keys: the standard ones of this Python version and
# the names Powertools reserves.
_NOT_EXTRA = (
    frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
    | frozenset(RESERVED_LOG_ATTRS)
    | {"message", "asctime"}
)
_RESERVED = frozenset(RESERVED_LOG_ATTRS)
# The first character of any JSON text: Powertools decodes a message that is JSON.
_JSON_START = frozenset('{["-0123456789tfnNI \t\r\n')
_SCALARS = (bool, int, float)


class _Stamp(NamedTuple):
    """What Powertools' formatTime reads from a record."""

    created: float
    msecs: float


@dataclass(frozen=True)
class _Head:
    """The log format's part of every line, worked out once per log format.

    `pieces` follows the format's order: each run of keys with fixed values is one piece of
    JSON text, encoded (and masked where untrusted) once; each key that takes the level,
    location, time or message is a pair of its encoded name and which of the four it takes.
    None when a line cannot be made this way: a template other than those four, a value
    that is not a plain string or number, an X-Ray key of its own, or an encoder that does
    not write compact JSON.
    """

    version: tuple[int, int]
    keys: frozenset[str]
    encode: Callable[[Any], str]
    pieces: tuple[str | tuple[str, str], ...] | None
    # (level, location, message) -> the line's head as text, cut where the time goes: the
    # same few combinations come back on every line.
    texts: dict[tuple[str, str, str], tuple[str, ...]] = field(default_factory=dict)

    def around_time(self, levelname: str, location: str, message: str) -> tuple[str, ...]:
        """The head's JSON, opening brace included, cut where the time goes."""
        key = (levelname, location, message)
        text = self.texts.get(key)
        if text is None:
            assert self.pieces is not None
            parts, cuts = ["{"], []
            for piece in self.pieces:
                if isinstance(piece, str):
                    parts.append(piece + ",")
                    continue
                name, slot = piece
                if slot is _TIME:
                    parts.append(name)
                    cuts.append("".join(parts))
                    parts = [","]
                    continue
                if slot is _LEVEL:
                    value = levelname
                elif slot is _LOCATION:
                    value = location
                else:
                    value = mask_personal_data(message)
                parts.append(name + self.encode(value) + ",")
            cuts.append("".join(parts).removesuffix(","))
            text = tuple(cuts)
            if len(self.texts) >= _HEAD_TEXTS:
                self.texts.clear()
            self.texts[key] = text
        return text

    @classmethod
    def of(cls, formatter: MaskingFormatter) -> _Head:
        items = list(formatter.log_format.items())
        version = (formatter.format_version, len(items))
        keys = frozenset(key for key, _ in items)
        encode = formatter.encode
        if not formatter.compact or "xray_trace_id" in keys or "message" not in keys:
            return cls(version, keys, encode, None)
        pieces: list[str | tuple[str, str]] = []
        fixed: dict[str, Any] = {}
        for key, value in items:
            slot = _MESSAGE if key == "message" else None
            if slot is None and key in _RESERVED and value and isinstance(value, str):
                slot = _SLOTS.get(value)
                if slot is None:
                    return cls(version, keys, encode, None)
            if slot is not None:
                if fixed:
                    pieces.append(encode(fixed)[1:-1])
                    fixed = {}
                pieces.append((encode(key) + ":", slot))
            elif value is None:
                continue  # left out, as Powertools leaves out keys without a value
            elif isinstance(value, str):
                fixed[key] = value if key in _TRUSTED_KEYS else mask_personal_data(value)
            elif isinstance(value, _SCALARS):
                fixed[key] = value
            else:
                return cls(version, keys, encode, None)
        if fixed:
            pieces.append(encode(fixed)[1:-1])
        return cls(version, keys, encode, tuple(pieces))


_LEVEL, _LOCATION, _TIME = "%(levelname)s", "%(funcName)s:%(lineno)d", "%(asctime)s"
_MESSAGE = "message"
_HEAD_TEXTS = 64  # (level, location, message) combinations kept per log format
# The templates, mapped to these very objects (the pieces are told apart by identity).
_SLOTS = {template: template for template in (_LEVEL, _LOCATION, _TIME)}


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines, personal data masked; a fast path for plain records.

    A plain record (no exception, no stack, only strings and numbers) is formatted here to
    the same JSON Powertools produces, with the untrusted strings masked one by one instead
    of the whole line; the others go through Powertools' own format. One outcome line per activity made
    Powertools' generic path (a copy of the record, a JSON decode attempt on every
    message, the masking patterns over identifiers and timestamps) the largest CPU cost of
    a delivery after the HTTP call itself.
    """

    # Powertools changes the log format through append_keys, remove_keys and clear_state
    # only; each counts here, and the next line works out the format's part again.
    format_version = 0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Powertools' serializer is json.dumps with options, which builds a new encoder on
        # every call; the fast path encodes with the same options through one encoder.
        self.encode: Callable[[Any], str] = (
            self.json_serializer
            if "json_serializer" in kwargs
            else json.JSONEncoder(
                default=self.json_default,
                separators=(",", ":"),
                indent=self.json_indent,
                ensure_ascii=False,
            ).encode
        )

        self._head: _Head | None = None
        # Pieces of JSON joined with "," read as the encoder's own text only when it is
        # ours and writes compact JSON.
        self.compact = "json_serializer" not in kwargs and self.json_indent is None
        self._second: tuple[int, str, str] | None = None
        # Powertools' default time format (or one like it) is strftime's text around the
        # milliseconds; that text changes once a second. None: another kind of format.
        fmt = self.datefmt or self.default_time_format
        self._time_parts: tuple[str, str] | None = None
        if not (
            self.use_rfc3339_iso8601
            or (self.datefmt and self.use_datetime_directive)
            or fmt.count(self.custom_ms_time_directive) != 1
            or "%%" in fmt
        ):
            before, _, after = fmt.partition(self.custom_ms_time_directive)
            self._time_parts = (before, after)

    def append_keys(self, **additional_keys: Any) -> None:
        super().append_keys(**additional_keys)
        self.format_version += 1

    def remove_keys(self, keys: Iterable[str]) -> None:
        super().remove_keys(keys)
        self.format_version += 1

    def clear_state(self) -> None:
        super().clear_state()
        self.format_version += 1

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """Powertools' time, with the part that changes once a second made once a second."""
        if datefmt is not None or self._time_parts is None:
            return super().formatTime(record, datefmt)
        return self._time_text(record.created, record.msecs)

    def _time_text(self, created: float, msecs: float) -> str:
        """formatTime's text for a record made at `created` (`msecs` its milliseconds)."""
        second = int(created)
        cached = self._second
        if cached is None or cached[0] != second:
            assert self._time_parts is not None
            before, after = self._time_parts
            stamp = self.converter(created)
            cached = (second, time.strftime(before, stamp), time.strftime(after, stamp))
            self._second = cached
        return f"{cached[1]}{int(msecs):03d}{cached[2]}"

    def serialize(self, log: LogRecord) -> str:
        return mask_personal_data(super().serialize(log))

    def format(self, record: logging.LogRecord) -> str:
        if not (record.exc_info or record.exc_text or record.stack_info):
            extras = {k: v for k, v in record.__dict__.items() if k not in _NOT_EXTRA}
            line = self._line_from_head(
                record.levelname,
                f"{record.funcName}:{record.lineno}",
                record.created,
                record.msecs,
                self._message(record),
                extras,
            )
            if line is not None:
                return line
        return super().format(record)

    def _line_from_head(
        self,
        levelname: str,
        location: str,
        created: float,
        msecs: float,
        message: Any,
        extras: dict[str, Any],
    ) -> str | None:
        """The JSON line of a record without exception or stack, from its parts, the log
        format's part worked out once (see _Head).

        None where the result could differ from Powertools' own: keys given twice, a
        message or value that is not a plain string or number (Powertools masks the whole
        line then), no pieces for the format.
        """
        head = self._head
        if head is None or head.version != (self.format_version, len(self.log_format)):
            head = self._head = _Head.of(self)
        current = self.thread_safe_get_current_keys()
        if (
            head.pieces is None
            or not isinstance(message, str)
            or not head.keys.isdisjoint(extras)
            or (
                current
                and not (head.keys.isdisjoint(current) and current.keys().isdisjoint(extras))
            )
        ):
            return None
        tail = {**current, **extras}
        trace = self._get_latest_trace_id()
        if trace is not None:
            if "xray_trace_id" in tail:
                return None
            tail["xray_trace_id"] = trace
        for key in tail.keys() - _TRUSTED_KEYS:
            value = tail[key]
            if isinstance(value, str):
                tail[key] = mask_personal_data(value)
            elif value is not None and not isinstance(value, _SCALARS):
                return None  # Powertools' path masks the whole line for these
        if None in tail.values():
            tail = {key: value for key, value in tail.items() if value is not None}
        around_time = head.texts.get((levelname, location, message)) or head.around_time(
            levelname, location, message
        )
        text = around_time[0]
        if len(around_time) > 1:
            if self._time_parts is None:
                asctime = self.formatTime(_Stamp(created, msecs))  # type: ignore[arg-type]
            else:
                asctime = self._time_text(created, msecs)
            text = self.encode(asctime).join(around_time)
        if tail:
            return text + "," + self.encode(tail)[1:]
        return text + "}"

    def _message(self, record: logging.LogRecord) -> Any:
        message = record.msg
        if isinstance(message, str) and not record.args and message[:1] not in _JSON_START:
            return message  # cannot be JSON: spare Powertools' attempt to decode it
        return self._extract_log_message(record)


logger = Logger(service="leadsquared-activity-poster", logger_formatter=MaskingFormatter())

# botocore logs whole responses at DEBUG, GetSecretValue's SecretString included, whenever the
# root logger is set that low (as Lambda's advanced logging controls can do). Keep the
# libraries that carry the keys at INFO or above, whatever the root level.
for _name in ("botocore", "boto3", "urllib3", "aws_lambda_powertools.utilities.parameters"):
    logging.getLogger(_name).setLevel(max(logging.INFO, logging.getLogger(_name).level))


_stdlib_logger = logging.getLogger(logger.name)


def log_info(message: str, fields: dict[str, Any]) -> None:
    """`logger.info(message, extra=fields)`: the same line, written without a LogRecord.

    For the line written once per delivered activity. Making a LogRecord and taking it
    through the logging machinery (caller lookup, filters, handler dispatch) cost several
    times what building the line does, as much CPU as the rest of a delivery's own work.
    The level, the logger's handlers and their locks are honoured; a logger with filters, a
    handler that is not a plain stream handler with this formatter, an ancestor's handler
    that would take the record too (Powertools keeps the root's handlers out with a filter,
    as Lambda's runtime installs one there), a message Powertools would decode as JSON, or a
    log format that needs the whole record takes logger.info's own path instead.
    """
    std = _stdlib_logger
    if not std.isEnabledFor(logging.INFO):
        return
    caller = sys._getframe(1)
    location = f"{caller.f_code.co_name}:{caller.f_lineno}"
    # The checks are written out here rather than in helpers: on this path every call
    # counts (see the docstring).
    handlers = std.handlers
    formatter = handlers[0].formatter if handlers else None
    line = None
    fast = (
        isinstance(formatter, MaskingFormatter)
        and not std.filters
        and message[:1] not in _JSON_START
        and _NOT_EXTRA.isdisjoint(fields)
    )
    for handler in handlers if fast else ():
        if not (
            type(handler) is logging.StreamHandler
            and handler.level <= logging.INFO
            and not handler.filters
            and handler.formatter is formatter
        ):
            fast = False
            break
    if fast and std.propagate:
        probe = _probe(std.name)
        parent = std.parent
        while fast and parent is not None:
            for handler in parent.handlers:
                if probe.levelno >= handler.level and handler.filter(probe):
                    fast = False  # an ancestor's handler takes the record too
                    break
            parent = parent.parent if parent.propagate else None
    if fast:
        assert isinstance(formatter, MaskingFormatter)
        now = time.time_ns()
        created, msecs = now / 1e9, (now % 1_000_000_000) // 1_000_000 + 0.0
        if msecs == 999.0 and int(created) != now // 1_000_000_000:
            msecs = 0.0  # as LogRecord: the float rounded up into the next second
        line = formatter._line_from_head("INFO", location, created, msecs, message, fields)
    if line is None:
        logger.info(message, extra=fields, stacklevel=3)  # located at log_info's caller
        return
    for handler in handlers:
        stream = handler.stream  # type: ignore[attr-defined]  # a StreamHandler, checked above
        with handler.lock:  # type: ignore[union-attr]
            try:
                stream.write(line + "\n")
                stream.flush()
            except Exception:  # as StreamHandler.emit: a log line never raises
                handler.handleError(logging.makeLogRecord({"msg": message}))


@functools.cache
def _probe(name: str) -> logging.LogRecord:
    """An INFO record of logger `name`, for the filters on ancestors' handlers to judge."""
    return logging.LogRecord(name, logging.INFO, "", 0, "", None, None)


@contextmanager
def copy_of_logs(stream: TextIO) -> Iterator[TextIO]:
    """Also write every log line, formatted and masked as in production, to `stream`."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logging.getLogger(logger.name).removeHandler(handler)
