"""The bulk endpoint's answer, row by row: `Bulk/CustomActivity/Add/ByLeadId`.

Rows are matched by RowNumber (1-based position in the request), never by position in the
answer. A row the answer does not account for is not assumed delivered.
"""

from __future__ import annotations

import json
from typing import Any

from activity_poster.leadsquared.classify import (
    RATE_LIMIT_EXCEPTION,
    RATE_LIMIT_MESSAGE_PREFIX,
    classify,
)
from activity_poster.leadsquared.outcomes import (
    Delivered,
    Outcome,
    Rejected,
    Throttled,
    Unavailable,
)

BULK_PATH = "/v2/ProspectActivity.svc/Bulk/CustomActivity/Add/ByLeadId"
MAX_ROWS = 25
UNACCOUNTED = "LeadSquared's bulk answer does not account for this row"


def classify_bulk(status: int, body: bytes, row_count: int) -> Outcome | list[Outcome]:
    """One outcome per row, or one outcome for the whole call (throttled, refused, down)."""
    try:
        document: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        document = None
    if 200 <= status < 300 and isinstance(document, dict):
        rows = document.get("Response")
        if isinstance(rows, list):
            return _rows(rows, row_count)
        counted = _counted(document)
        if counted is not None:
            return (
                [Delivered(None)] * row_count
                if counted == row_count
                else [Unavailable(f"LeadSquared reported {counted} of {row_count} rows created")]
                * row_count
            )
    return classify(status, body)


def _rows(answer: list[Any], row_count: int) -> list[Outcome]:
    outcomes: list[Outcome] = [Unavailable(UNACCOUNTED)] * row_count
    for row in answer:
        if not isinstance(row, dict):
            continue
        number = row.get("RowNumber")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= row_count:
            continue
        outcomes[number - 1] = _row(row)
    return outcomes


def _row(row: dict[str, Any]) -> Outcome:
    if row.get("ActivityCreated") is True:
        activity_id = row.get("ProspectActivityId")
        return Delivered(str(activity_id) if activity_id else None)
    error_type = str(row.get("ExceptionType") or "")
    message = str(row.get("ExceptionMessage") or "")[:500]
    if error_type == RATE_LIMIT_EXCEPTION or message.startswith(RATE_LIMIT_MESSAGE_PREFIX):
        return Throttled(message or "rate limit exceeded")
    return Rejected(error_type or "MXBulkRowRejected", message or "row not created")


def _counted(document: dict[str, Any]) -> int | None:
    """The `{"Status": "Success", "Message": {"Count": N}}` form some tenants answer with."""
    message = document.get("Message")
    if document.get("Status") == "Success" and isinstance(message, dict):
        count = message.get("Count")
        if isinstance(count, int) and not isinstance(count, bool):
            return count
    return None
