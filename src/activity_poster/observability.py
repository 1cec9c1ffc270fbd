"""The Powertools logger shared by every module, with personal data masked on the way out.

Nothing logs an activity's body, but LeadSquared's error messages can quote an email
address or a phone number (for example in a duplicate-entry error); the formatter masks
both in every line, whatever the field.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

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


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: LogRecord) -> str:
        return mask_personal_data(super().serialize(log))


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
