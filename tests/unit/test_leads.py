"""The `existing` lead policy: a lead looked up by email or phone, and the container's cache."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest

from activity_poster.leads import (
    LEAD_BY_EMAIL_PATH,
    LEAD_BY_PHONE_PATH,
    MAX_NOT_FOUND_SECONDS,
    AmbiguousLead,
    LeadNotFound,
    LeadPolicy,
    LeadResolver,
    LookupFailed,
    find_lead,
    lead_ids,
)

LEAD_ID = "3f2a9c1e-6b7d-4e8f-a1b2-c3d4e5f60718"
OTHER_ID = "9d0b7e44-2c1a-4f5e-8b6d-0a1b2c3d4e5f"
EMAIL = "priya.nair@example.org"
PHONE = "+91-9876501234"


class Tenant:
    """Answers the two lookups from a list of leads; records every request."""

    def __init__(self, *leads: dict[str, Any]) -> None:
        self.leads = list(leads)
        self.requests: list[tuple[str, str, Any]] = []
        self.broken = False  # answers `broken_answer` instead (None: no answer came)
        self.broken_answer: tuple[int, bytes] | None = None

    def __call__(self, method: str, path: str, body: Any) -> tuple[int, bytes] | None:
        self.requests.append((method, path, body))
        if self.broken:
            return self.broken_answer
        if path.startswith(LEAD_BY_EMAIL_PATH):
            wanted = unquote(path.removeprefix(LEAD_BY_EMAIL_PATH)).lower()
            found = [lead for lead in self.leads if lead.get("EmailAddress", "").lower() == wanted]
        else:
            wanted = unquote(path.removeprefix(LEAD_BY_PHONE_PATH))
            found = [lead for lead in self.leads if lead.get("Phone") == wanted]
        return 200, json.dumps(found).encode()


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def activity(**address: str) -> dict[str, Any]:
    return {"ActivityEvent": 212, "ActivityNote": "Webinar attended", **address}


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_lead_found_by_email_is_posted_by_its_id(clock):
    tenant = Tenant({"ProspectID": LEAD_ID, "EmailAddress": EMAIL})
    resolver = LeadResolver(tenant, clock=clock)
    body = activity(EmailAddress=EMAIL.upper(), FirstName="Priya", Phone=PHONE)
    assert resolver.resolve(body) == LEAD_ID
    assert tenant.requests == [("GET", LEAD_BY_EMAIL_PATH + "PRIYA.NAIR%40EXAMPLE.ORG", None)]


def test_a_lead_found_by_phone(clock):
    tenant = Tenant({"ProspectID": LEAD_ID, "Phone": PHONE})
    assert LeadResolver(tenant, clock=clock).resolve(activity(Phone=PHONE)) == LEAD_ID
    assert tenant.requests == [("GET", LEAD_BY_PHONE_PATH + "%2B91-9876501234", None)]


def test_an_activity_with_a_lead_id_is_not_looked_up(clock):
    tenant = Tenant()
    assert LeadResolver(tenant, clock=clock).resolve({"RelatedProspectId": LEAD_ID}) == LEAD_ID
    assert tenant.requests == []


def test_no_lead_is_lead_not_found_with_the_address_masked(clock):
    resolver = LeadResolver(Tenant(), clock=clock)
    assert resolver.resolve(activity(EmailAddress=EMAIL)) == LeadNotFound(
        "no lead has EmailAddress p***@example.org"
    )
    assert resolver.resolve(activity(Phone=PHONE)) == LeadNotFound("no lead has Phone ***34")
    assert isinstance(resolver.resolve(activity()), LeadNotFound)


def test_more_than_one_lead_with_the_phone_is_ambiguous(clock):
    tenant = Tenant(
        {"ProspectID": LEAD_ID, "Phone": PHONE}, {"ProspectID": OTHER_ID, "Phone": PHONE}
    )
    result = LeadResolver(tenant, clock=clock).resolve(activity(Phone=PHONE))
    assert result == AmbiguousLead("2 leads have Phone ***34: the activity goes to none")
    assert "9876501234" not in result.reason


def test_the_same_lead_listed_twice_is_one_lead():
    lead = {"ProspectID": LEAD_ID}
    assert lead_ids(200, json.dumps([lead, lead]).encode()) == [LEAD_ID]


@pytest.mark.parametrize(
    "answer",
    [
        None,
        (500, b'{"Status":"Error"}'),
        (200, b"<html>"),
        (200, b'{"ProspectID": "x"}'),
        (200, b'[{"FirstName": "no id"}]'),
        (200, b'[{"ProspectID": ""}]'),
    ],
)
def test_a_lookup_without_a_usable_answer_fails_and_is_not_kept(answer, clock):
    tenant = Tenant({"ProspectID": LEAD_ID, "EmailAddress": EMAIL})
    tenant.broken, tenant.broken_answer = True, answer
    resolver = LeadResolver(tenant, clock=clock)
    assert isinstance(resolver.resolve(activity(EmailAddress=EMAIL)), LookupFailed)
    tenant.broken = False
    assert resolver.resolve(activity(EmailAddress=EMAIL)) == LEAD_ID  # looked up again


def test_a_found_lead_is_kept_for_the_cache_time(clock):
    tenant = Tenant({"ProspectID": LEAD_ID, "EmailAddress": EMAIL})
    resolver = LeadResolver(tenant, cache_seconds=300, clock=clock)
    for _ in range(3):
        assert resolver.resolve(activity(EmailAddress=EMAIL)) == LEAD_ID
        clock.now += 99
    assert len(tenant.requests) == 1
    clock.now += 3
    resolver.resolve(activity(EmailAddress=EMAIL))
    assert len(tenant.requests) == 2


def test_not_found_is_kept_a_minute_at_most_so_a_new_lead_is_soon_found(clock):
    tenant = Tenant()
    resolver = LeadResolver(tenant, cache_seconds=300, clock=clock)
    assert isinstance(resolver.resolve(activity(EmailAddress=EMAIL)), LeadNotFound)
    tenant.leads.append({"ProspectID": LEAD_ID, "EmailAddress": EMAIL})
    clock.now += MAX_NOT_FOUND_SECONDS - 1
    assert isinstance(resolver.resolve(activity(EmailAddress=EMAIL)), LeadNotFound)
    assert len(tenant.requests) == 1
    clock.now += 1
    assert resolver.resolve(activity(EmailAddress=EMAIL)) == LEAD_ID
    assert len(tenant.requests) == 2


def test_a_short_cache_time_also_shortens_not_found(clock):
    tenant = Tenant()
    resolver = LeadResolver(tenant, cache_seconds=10, clock=clock)
    resolver.resolve(activity(Phone=PHONE))
    clock.now += 10
    resolver.resolve(activity(Phone=PHONE))
    assert len(tenant.requests) == 2


def test_the_email_is_looked_up_before_the_phone(clock):
    tenant = Tenant(
        {"ProspectID": LEAD_ID, "EmailAddress": EMAIL}, {"ProspectID": OTHER_ID, "Phone": PHONE}
    )
    assert (
        LeadResolver(tenant, clock=clock).resolve(activity(EmailAddress=EMAIL, Phone=PHONE))
        == LEAD_ID
    )


def test_find_lead_names_the_lookup_that_failed():
    result = find_lead(lambda method, path, body: (503, b""), "Phone", PHONE)
    assert result == LookupFailed(
        "the lead lookup by Phone answered HTTP 503 without a readable list of leads"
    )


def test_the_policy_parses_from_its_text():
    assert LeadPolicy("existing") is LeadPolicy.EXISTING
    assert LeadPolicy("create") is LeadPolicy.CREATE
