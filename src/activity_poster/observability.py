"""Powertools' logger; e-mails and phone numbers masked, as LeadSquared's errors may quote them."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.types import LogRecord

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
# Phone numbers: international (+ and 8 to 15 digits, with single separators between them),
# or 10 to 15 digits, bare or in groups split by a space, a dash or brackets
# (`98765 01234`, `987-650-1234`, `(987) 650-1234`). A run of digits joined to a letter, a
# colon, a dash or a decimal point is left alone: GUIDs, timestamps, decimals, ARNs. After a
# JSON escape (`\n`, `\t`, ...) a run stands alone, as in the text the line encodes.
_PHONE = re.compile(
    r"\+\d(?:[ ().-]{0,2}\d){5,12}(\d{2})(?!\d)"
    r"|(?:(?<=\\[bfnrt])|(?<![\w.:+-]))\(?\d+(?:(?:[ -]|\) ?)\d{2,})*(?![\w:-]|\.\w)"
)


def _mask_phone(match: re.Match[str]) -> str:
    if match[1]:
        return "***" + match[1]
    digits = "".join(char for char in match[0] if char.isdigit())
    return "***" + digits[-2:] if 10 <= len(digits) <= 15 else match[0]


def mask_personal_data(text: str) -> str:
    """`priya.nair@example.org` -> `p***@example.org`; `+91-9876501234` -> `***34`."""
    return _PHONE.sub(_mask_phone, _EMAIL.sub(r"\1***@\2", text))


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines, personal data masked.

    The whole line is masked: the patterns leave alone what this function and AWS write
    (timestamps, request and message ids, ARNs, numbers), so those keep their values.
    """

    def serialize(self, log: LogRecord) -> str:
        return mask_personal_data(super().serialize(log))


logger = Logger(service="leadsquared-activity-poster", logger_formatter=MaskingFormatter())

# botocore logs whole responses at DEBUG, GetSecretValue's SecretString included, whenever the
# root logger is set that low (as Lambda's advanced logging controls can do). Keep the
# libraries that carry the keys at INFO or above, whatever the root level.
for _name in ("botocore", "boto3", "urllib3", "aws_lambda_powertools.utilities.parameters"):
    logging.getLogger(_name).setLevel(max(logging.INFO, logging.getLogger(_name).level))
