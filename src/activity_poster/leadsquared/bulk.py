"""The bulk endpoint's answer, row by row: `Bulk/CustomActivity/Add/ByLeadId`.

Its per-row answer is only partly documented, so it is read defensively:
- a row with a non-empty `ProspectActivityId` was created, even without `ActivityCreated`;
- rows are matched by `RowNumber` (1-based position in the request); rows without one are
  matched by position only when the answer has exactly as many rows as were sent;
- a row the answer does not account for is `Unaccounted`: never assumed delivered, never
  dead-lettered as rejected.
"""

from __future__ import annotations

import json
from typing import Any

from activity_poster.leadsquared.classify import classify, is_throttle
from activity_poster.outcomes import Delivered, Outcome, Rejected, Throttled, Unaccounted

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
            if counted == row_count:
                return [Delivered(None)] * row_count
            reason = f"LeadSquared reported {counted} of {row_count} rows created"
            return [Unaccounted(reason)] * row_count
    return classify(status, body)


def _rows(answer: list[Any], row_count: int) -> list[Outcome]:
    outcomes: list[Outcome] = [Unaccounted(UNACCOUNTED)] * row_count
    by_position = len(answer) == row_count
    for position, row in enumerate(answer, start=1):
        if not isinstance(row, dict):
            continue
        number = row.get("RowNumber")
        if number is None and by_position:
            number = position
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= row_count:
            continue
        outcomes[number - 1] = _row(row)
    return outcomes


def _row(row: dict[str, Any]) -> Outcome:
    activity_id = row.get("ProspectActivityId")
    if row.get("ActivityCreated") is True or (isinstance(activity_id, str) and activity_id):
        return Delivered(str(activity_id) if activity_id else None)
    error_type = str(row.get("ExceptionType") or "")
    message = str(row.get("ExceptionMessage") or "")[:500]
    if is_throttle(error_type, message):
        return Throttled(message or "rate limit exceeded")
    if error_type.startswith("MX") or row.get("ActivityCreated") is False:
        return Rejected(error_type or "MXBulkRowRejected", message or "row not created")
    return Unaccounted(UNACCOUNTED)


def _counted(document: dict[str, Any]) -> int | None:
    """The `{"Status": "Success", "Message": {"Count": N}}` form some tenants answer with."""
    message = document.get("Message")
    if document.get("Status") == "Success" and isinstance(message, dict):
        count = message.get("Count")
        if isinstance(count, int) and not isinstance(count, bool):
            return count
    return None
