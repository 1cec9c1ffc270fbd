"""The emulated tenant's data: leads, committed activities, request log and rate windows."""

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .config import UNKNOWN_LEAD_PREFIX, EmulatorConfig, RateLimit
from .models import CreatedActivity, Lead, Received
from .ratelimit import SlidingWindow

RecordToken = tuple[int, int]


class TenantState:
    """All mutable emulator data behind one lock, so concurrent handlers see a consistent tenant."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._leads: dict[str, Lead] = {}
        self._emails: dict[str, str] = {}
        self._activities: list[CreatedActivity] = []
        self._received: list[Received] = []
        self._generation = 0  # bumped by reset, so late answers do not touch the new log
        self._windows = {False: SlidingWindow(), True: SlidingWindow()}
        self.seed(config)

    # -- leads -------------------------------------------------------------------------------

    def seed(self, config: EmulatorConfig) -> None:
        """Add the configured leads that are not there yet (existing leads are kept)."""
        with self._lock:
            for lead_id, email in config.seeded_leads().items():
                if lead_id.lower() not in self._leads:
                    self._put_lead(Lead(lead_id=lead_id, email=email))
                elif email is not None:
                    self._emails.setdefault(email.lower(), self._leads[lead_id.lower()].lead_id)

    def add_lead(
        self,
        lead_id: str,
        email: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        phone: str | None = None,
    ) -> Lead:
        if not lead_id:
            raise ValueError("lead_id must be non-empty")
        with self._lock:
            lead = Lead(lead_id, email, first_name, last_name, phone)
            old = self._leads.get(lead_id.lower())
            if old is not None:
                lead = replace(lead, activity_count=old.activity_count)
            self._put_lead(lead)
            return lead

    def _put_lead(self, lead: Lead) -> None:
        self._leads[lead.lead_id.lower()] = lead
        if lead.email:
            self._emails[lead.email.lower()] = lead.lead_id

    def find_lead(self, lead_id: str, *, accept_unknown: bool = False) -> Lead | None:
        """The lead with this id (case-insensitive); ids with the unknown prefix never exist."""
        if not lead_id or lead_id.lower().startswith(UNKNOWN_LEAD_PREFIX):
            return None
        with self._lock:
            lead = self._leads.get(lead_id.lower())
            if lead is None and accept_unknown:
                lead = Lead(lead_id=lead_id)
                self._put_lead(lead)
            return lead

    def find_lead_by_email(self, email: str) -> Lead | None:
        with self._lock:
            lead_id = self._emails.get(email.lower())
            return None if lead_id is None else self._leads.get(lead_id.lower())

    def find_leads_by_phone(self, phone: str) -> list[Lead]:
        """Every lead whose phone has the same digits (how the real lookup matches is not
        known: `+91-98765 01234` and `+919876501234` are taken as one number)."""
        digits = _digits(phone)
        if not digits:
            return []
        with self._lock:
            return [lead for lead in self._leads.values() if _digits(lead.phone or "") == digits]

    def lead_for_email(
        self, email: str, first_name: str | None, last_name: str | None, phone: str | None
    ) -> Lead:
        """Find the lead by email or create it, atomically so concurrent posts share one lead."""
        with self._lock:
            lead_id = self._emails.get(email.lower())
            if lead_id is not None:
                return self._leads[lead_id.lower()]
            lead = Lead(str(uuid.uuid4()), email, first_name, last_name, phone, created_by_api=True)
            self._put_lead(lead)
            return lead

    @property
    def leads(self) -> list[Lead]:
        with self._lock:
            return list(self._leads.values())

    # -- activities --------------------------------------------------------------------------

    def commit_activity(
        self, lead_id: str, body: dict[str, Any], activity_event: int, *, bulk: bool
    ) -> tuple[CreatedActivity, Lead]:
        """Store the activity and bump the lead's activity count; returns both updated records."""
        with self._lock:
            key = lead_id.lower()
            lead = self._leads.get(key) or Lead(lead_id=lead_id)
            lead = replace(lead, activity_count=lead.activity_count + 1)
            self._leads[key] = lead
            when = body.get("ActivityDateTime")
            now = _utc_now_text()
            activity = CreatedActivity(
                activity_id=str(uuid.uuid4()),
                lead_id=lead.lead_id,
                body=body,
                created_at=self._clock(),
                activity_event=activity_event,
                bulk=bulk,
                created_on=when if isinstance(when, str) else now,
                stored_on=now,
            )
            self._activities.append(activity)
            return activity, lead

    @property
    def created(self) -> list[CreatedActivity]:
        with self._lock:
            return list(self._activities)

    def activities_of(self, lead_id: str) -> list[CreatedActivity]:
        key = lead_id.lower()
        with self._lock:
            return [a for a in self._activities if a.lead_id.lower() == key]

    # -- request log -------------------------------------------------------------------------

    def record(self, received: Received) -> RecordToken:
        with self._lock:
            self._received.append(received)
            return (self._generation, len(self._received) - 1)

    def finish(self, token: RecordToken, status: int | None) -> Received | None:
        """Set the answered status of a logged request (None if the log was reset meanwhile)."""
        generation, index = token
        with self._lock:
            if generation != self._generation:
                return None
            updated = replace(self._received[index], status=status)
            self._received[index] = updated
            return updated

    def get_received(self, token: RecordToken) -> Received | None:
        generation, index = token
        with self._lock:
            return self._received[index] if generation == self._generation else None

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    # -- throttling --------------------------------------------------------------------------

    def admit(self, limit: RateLimit, *, bulk: bool, count_rejected: bool) -> bool:
        with self._lock:
            return self._windows[bulk].admit(limit, self._clock(), count_rejected=count_rejected)

    # -- lifecycle ---------------------------------------------------------------------------

    def reset(self, config: EmulatorConfig) -> None:
        """Forget requests, activities, rate windows and added leads; re-seed from config."""
        with self._lock:
            self._leads.clear()
            self._emails.clear()
            self._activities.clear()
            self._received.clear()
            self._generation += 1
            for window in self._windows.values():
                window.clear()
        self.seed(config)


def _digits(phone: str) -> str:
    return "".join(char for char in phone if char.isascii() and char.isdigit())


def _utc_now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
