"""The Powertools logger shared by every module, with personal data masked on the way out.

Nothing logs an activity's body, but LeadSquared's error messages can quote an email
address or a phone number (for example in a duplicate-entry error); the formatter masks
both in every line, in every value except the identifiers, numbers and fixed words that
this function or AWS sets (`_TRUSTED_KEYS`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

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


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines, personal data masked; a fast path for plain records.

    A plain record (no exception, no stack) is formatted here to the same JSON Powertools
    produces, with the untrusted strings masked one by one instead of the whole line; the
    others go through Powertools' own format. One outcome line per activity made
    Powertools' generic path (a copy of the record, a JSON decode attempt on every
    message, the masking patterns over identifiers and timestamps) the largest CPU cost of
    a delivery after the HTTP call itself.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Powertools' serializer is json.dumps with options, which builds a new encoder on
        # every call; the fast path encodes with the same options through one encoder.
        self._encode: Callable[[Any], str] = (
            self.json_serializer
            if "json_serializer" in kwargs
            else json.JSONEncoder(
                default=self.json_default,
                separators=(",", ":"),
                indent=self.json_indent,
                ensure_ascii=False,
            ).encode
        )

    def serialize(self, log: LogRecord) -> str:
        return mask_personal_data(super().serialize(log))

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        log: dict[str, Any] = {}
        for source in (self.log_format, self.thread_safe_get_current_keys()):
            for key, value in source.items():
                if key in _RESERVED and value and isinstance(value, str):
                    value = self._render(value, record)
                log[key] = value
        for key, value in record.__dict__.items():
            if key not in _NOT_EXTRA:
                log[key] = value
        log["message"] = self._message(record)
        log["xray_trace_id"] = self._get_latest_trace_id()
        kept: dict[str, Any] = {}
        whole_line = False
        for key, value in log.items():
            if value is None:
                continue  # Powertools leaves out keys without a value
            if key not in _TRUSTED_KEYS and not isinstance(value, _SCALARS):
                if isinstance(value, str):
                    value = mask_personal_data(value)
                else:
                    whole_line = True  # a list or an object: mask its serialized text
            kept[key] = value
        text = self._encode(kept)
        return mask_personal_data(text) if whole_line else text

    def _render(self, template: str, record: logging.LogRecord) -> Any:
        if template == "%(levelname)s":
            return record.levelname
        if template == "%(funcName)s:%(lineno)d":
            return f"{record.funcName}:{record.lineno}"
        if template == "%(asctime)s":
            return self.formatTime(record)
        return template % {**record.__dict__, "asctime": self.formatTime(record)}

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
