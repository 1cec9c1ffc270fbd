"""Reading LeadSquared's lookups: a lead by email, and a lead's activities (Retrieve).

Used to tell whether an activity whose answer was lost exists. The match is conservative:
a false "found" would lose an activity, a false "not found" only duplicates it, so whatever
the answer cannot prove (a missing field, a second match) counts as not found. The answer's
field names are partly inferred: the note may sit in `Data.ActivityEvent_Note`,
`Data.NotableEventDescription` or `ActivityNote`, and `CreatedOn` is read as the activity's
`ActivityDateTime`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

LEAD_BY_EMAIL_PATH = "/v2/LeadManagement.svc/Leads.GetByEmailaddress?emailaddress="
RETRIEVE_PATH = "/v2/ProspectActivity.svc/Retrieve?leadId="
PAGE_SIZE = 25
# Pages read before giving up (each is a call): an activity posted moments ago is among a
# lead's newest of its type; past this many, not found is the safe answer.
MAX_PAGES = 4
_NOTE_KEYS = ("ActivityEvent_Note", "NotableEventDescription")


@dataclass(frozen=True, slots=True)
class Found:
    activity_id: str


@dataclass(frozen=True, slots=True)
class NotFound:
    pass


@dataclass(frozen=True, slots=True)
class NextPage:
    offset: int


@dataclass(frozen=True, slots=True)
class Unreadable:
    """The lookup's answer could not be read: nothing is proven either way."""

    reason: str


def lead_by_email_path(email: str) -> str:
    return LEAD_BY_EMAIL_PATH + quote(email, safe="")


def lead_ids(status: int, body: bytes) -> list[str] | None:
    """The ids of the leads in a lead lookup's answer (a JSON array of leads); None when the
    answer cannot be read that way, or lists a lead without its ProspectID."""
    document = _json(body) if status == 200 else None
    if not isinstance(document, list):
        return None
    ids = [lead.get("ProspectID") if isinstance(lead, dict) else None for lead in document]
    if not all(isinstance(lead_id, str) and lead_id.strip() for lead_id in ids):
        return None
    return list(dict.fromkeys(str(lead_id) for lead_id in ids))  # a lead listed twice is one


def lead_id_from(status: int, body: bytes) -> str | NotFound | Unreadable:
    """The one lead with that email; NotFound when there is none (then no activity exists)."""
    ids = lead_ids(status, body)
    if ids is None or len(ids) > 1:
        return Unreadable(f"lead lookup answered HTTP {status} without exactly one lead")
    return ids[0] if ids else NotFound()


def retrieve_request(lead_id: str, event: int, offset: int) -> tuple[str, dict[str, Any]]:
    body = {
        "Parameter": {"ActivityEvent": event},
        "Paging": {"Offset": str(offset), "RowCount": str(PAGE_SIZE)},
    }
    return RETRIEVE_PATH + quote(lead_id, safe=""), body


def match_page(
    status: int, body: bytes, posted: dict[str, Any], offset: int
) -> Found | NotFound | NextPage | Unreadable:
    """Whether the page at `offset` holds exactly the activity `posted` (its request body)."""
    document = _json(body) if status == 200 else None
    if not isinstance(document, dict) or not isinstance(document.get("ProspectActivities"), list):
        return Unreadable(f"activity lookup answered HTTP {status}")
    rows = document["ProspectActivities"]
    matches = [row for row in rows if isinstance(row, dict) and _same(row, posted)]
    ids = {row.get("Id") for row in matches}
    if len(matches) > 1 or None in ids or "" in ids:
        return NotFound()  # two alike, or one without its id: nothing proven
    if matches:
        return Found(str(matches[0]["Id"]))
    total = document.get("RecordCount")  # a dict: rows were read from it
    following = offset + PAGE_SIZE
    if isinstance(total, int) and total > following and following < PAGE_SIZE * MAX_PAGES:
        return NextPage(following)
    return NotFound()


def _same(row: dict[str, Any], posted: dict[str, Any]) -> bool:
    if str(row.get("EventCode")) != str(posted["ActivityEvent"]):
        return False
    if row.get("CreatedOn") != posted.get("ActivityDateTime"):
        return False
    data = row.get("Data")
    data = data if isinstance(data, dict) else {}
    notes = [data.get(key) for key in _NOTE_KEYS] + [row.get("ActivityNote")]
    note = posted.get("ActivityNote") or ""
    if note:
        return note in notes
    return not any(notes)  # no note posted: a row with one is another activity


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
