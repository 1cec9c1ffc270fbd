"""Which lead an activity goes to: the lead policy.

`create` (the default) posts an activity addressed by EmailAddress as it is, and LeadSquared
creates the lead when none has that email. `existing` posts only to a lead that exists: an
activity addressed by EmailAddress, or by Phone, is looked up first (each lookup is one call,
a slot of the standard budget like any) and posted by the lead's id; no lead is LeadNotFound,
several AmbiguousLead, and neither is posted. Answers are kept per container: a lead found for
`cache_seconds`; "no such lead" (or several) for a minute at most, so that a lead created
meanwhile is soon found; a failed lookup not at all. Reasons show addresses masked
(`p***@example.org`, `***34`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import quote

from activity_poster.leadsquared import lookup
from activity_poster.leadsquared.schema import Request

LEAD_BY_EMAIL_PATH = lookup.LEAD_BY_EMAIL_PATH
LEAD_BY_PHONE_PATH = "/v2/LeadManagement.svc/RetrieveLeadByPhoneNumber?phone="
DEFAULT_CACHE_SECONDS = 300.0
MAX_NOT_FOUND_SECONDS = 60.0
# Leads kept at most: a container that meets more forgets the oldest first.
MAX_CACHED = 10_000
# What names the lead, or describes the one to create: a body posted by lead id has none.
ADDRESS_FIELDS = ("EmailAddress", "FirstName", "LastName", "Phone")


class LeadPolicy(StrEnum):
    CREATE = "create"  # post by email; LeadSquared creates the lead when none has it
    EXISTING = "existing"  # post by the id of a lead that exists, found by email or phone


@dataclass(frozen=True, slots=True)
class LeadNotFound:
    """No lead has the activity's address: it is not posted (the policy creates no lead)."""

    reason: str


@dataclass(frozen=True, slots=True)
class AmbiguousLead:
    """More than one lead has the activity's address: which one it belongs to is unknown."""

    reason: str


@dataclass(frozen=True, slots=True)
class LookupFailed:
    """The lookup gave no usable answer: nothing is known, the activity may be tried again."""

    reason: str


Resolved = str | LeadNotFound | AmbiguousLead | LookupFailed
By = Literal["EmailAddress", "Phone"]  # how an activity without a lead id names its lead


def find_lead(request: Request, by: By, address: str) -> Resolved:
    """The id of the one lead whose `by` (EmailAddress or Phone) is `address`."""
    path = LEAD_BY_EMAIL_PATH if by == "EmailAddress" else LEAD_BY_PHONE_PATH
    answer = request("GET", path + quote(address, safe=""), None)
    shown = f"{by} {masked(by, address)}"
    if answer is None:
        return LookupFailed(f"the lead lookup by {by} got no answer")
    ids = lead_ids(*answer)
    if isinstance(ids, LookupFailed):
        return LookupFailed(f"the lead lookup by {by} {ids.reason}")
    if not ids:
        return LeadNotFound(f"no lead has {shown}")
    if len(ids) > 1:
        return AmbiguousLead(f"{len(ids)} leads have {shown}: the activity goes to none")
    return ids[0]


def lead_ids(status: int, body: bytes) -> list[str] | LookupFailed:
    """The ids of the leads in a lookup's answer (a JSON array of leads)."""
    ids = lookup.lead_ids(status, body)
    if ids is None:
        return LookupFailed(f"answered HTTP {status} without a readable list of leads")
    return ids


def masked(by: By, address: str) -> str:
    """`priya.nair@example.org` -> `p***@example.org`; a phone -> `***34`."""
    if by == "EmailAddress":
        local, _, domain = address.rpartition("@")
        return f"{local[:1]}***@{domain}"
    return "***" + "".join(char for char in address if char.isdigit())[-2:]


class LeadResolver:
    """Finds the lead of an activity under the `existing` policy, with the container's cache."""

    def __init__(
        self,
        request: Request,
        *,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._request = request
        self._found_seconds = cache_seconds
        self._not_found_seconds = min(cache_seconds, MAX_NOT_FOUND_SECONDS)
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, Resolved]] = {}

    def resolve(self, activity: Mapping[str, Any]) -> Resolved:
        """The lead id to post `activity` (a Create body) to, or why there is none."""
        lead_id = activity.get("RelatedProspectId")
        if isinstance(lead_id, str) and lead_id:
            return lead_id
        address = _address(activity)
        if address is None:
            return LeadNotFound("the activity names no lead (EmailAddress, Phone or id)")
        key = _cache_key(*address)
        with self._lock:
            kept = self._cache.get(key)
            if kept is not None and kept[0] > self._clock():
                return kept[1]
        result = find_lead(self._request, *address)
        if not isinstance(result, LookupFailed):
            self._keep(key, result)
        return result

    def _keep(self, key: tuple[str, str], result: Resolved) -> None:
        found = isinstance(result, str)
        expires = self._clock() + (self._found_seconds if found else self._not_found_seconds)
        with self._lock:
            self._cache.pop(key, None)  # kept again at the end: the oldest go first
            while len(self._cache) >= MAX_CACHED:
                del self._cache[next(iter(self._cache))]
            self._cache[key] = (expires, result)


def _address(activity: Mapping[str, Any]) -> tuple[By, str] | None:
    """How the activity names its lead without an id, and the address."""
    by: By
    for by in ("EmailAddress", "Phone"):
        value = activity.get(by)
        if isinstance(value, str) and value.strip():
            return by, value.strip()
    return None


def _cache_key(by: By, address: str) -> tuple[str, str]:
    return by, address.lower() if by == "EmailAddress" else address
