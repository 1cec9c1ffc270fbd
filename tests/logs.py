"""Log lines of a test, as they would reach CloudWatch."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from activity_poster.observability import logger


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
