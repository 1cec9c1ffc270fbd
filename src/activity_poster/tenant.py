"""What the function knows about the LeadSquared account, checked before any budget is spent.

The account's activity types (schema_check.py) refuse an activity LeadSquared would refuse
(an unknown type or field, a missing mandatory field, a value that is not an option or does
not parse), naming the field; with `LEAD_POLICY=existing`, an activity addressed by email
(or by phone alone) is posted by the id of the lead that has it, and never creates one
(leads.py). Each read takes a slot of the standard budget, like any call.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from activity_poster.calls import RetryingCaller
from activity_poster.deadline import NO_DEADLINE, Deadline
from activity_poster.leads import (
    ADDRESS_FIELDS,
    AmbiguousLead,
    LeadNotFound,
    LeadPolicy,
    LeadResolver,
)
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.leadsquared.schema import fetch_schema
from activity_poster.models import MAX_ERRORS, Activity
from activity_poster.outcomes import Invalid, Outcome, Rejected, Unavailable
from activity_poster.ratelimit import Pacer
from activity_poster.schema_check import SchemaCheck, SchemaMode

# The invocation's deadline, for reads made on its behalf deep inside the cached checks.
_deadline: ContextVar[Deadline] = ContextVar("deadline", default=NO_DEADLINE)


class Tenant:
    def __init__(
        self,
        client: LeadSquaredClient,
        caller: RetryingCaller,
        limiter: Pacer | None,
        *,
        schema_mode: SchemaMode,
        schema_max_age: float,
        lead_policy: LeadPolicy,
        lead_cache_seconds: float,
    ) -> None:
        self._client = client
        self._caller = caller
        self._limiter = limiter
        self._schema = (
            None
            if schema_mode is SchemaMode.OFF
            else SchemaCheck(lambda: fetch_schema(self._request), max_age=schema_max_age)
        )
        self._leads = (
            LeadResolver(self._request, cache_seconds=lead_cache_seconds)
            if lead_policy is LeadPolicy.EXISTING
            else None
        )

    def vet(self, activity: Activity, deadline: Deadline) -> Activity | Outcome:
        """The activity as it will be posted, or the outcome that stops it before any call."""
        token = _deadline.set(deadline)
        try:
            return self._vet(activity)
        finally:
            _deadline.reset(token)

    def after(self, outcome: Outcome) -> None:
        """A rejection the cached schema did not predict: the type or field may be new."""
        if self._schema is not None and isinstance(outcome, Rejected):
            self._schema.refresh_soon()

    def _vet(self, activity: Activity) -> Activity | Outcome:
        body = activity.to_leadsquared()
        problems = self._schema.check(body) if self._schema is not None else []
        if problems and self._schema is not None:
            # The type or field may have been created since the schema was read: read it
            # again (at most once a minute) before refusing.
            self._schema.refresh_soon()
            problems = self._schema.check(body)
        if problems:
            shown = problems[:MAX_ERRORS]
            return Invalid(tuple(p.as_dict() for p in shown), len(problems) - len(shown))
        if self._leads is None:
            if activity.named_by_phone:
                # LeadSquared's Create takes a lead id or an email, and creates a lead for an
                # unknown email; a phone names a lead only through a lookup.
                message = "names the lead only with LEAD_POLICY=existing (a lead id or an email otherwise)"
                return Invalid(({"field": "Phone", "message": message},))
            return activity
        if activity.RelatedProspectId is not None:
            return activity
        found = self._leads.resolve(body)
        if isinstance(found, str):
            # Posted by id, without the address fields: nothing that could create a lead.
            return activity.model_copy(
                update={"RelatedProspectId": found, **dict.fromkeys(ADDRESS_FIELDS)}
            )
        if isinstance(found, LeadNotFound | AmbiguousLead):
            return Rejected(type(found).__name__, found.reason)
        return Unavailable(f"could not look the lead up: {found.reason}")

    def _request(self, method: str, path: str, body: Any) -> tuple[int, bytes] | None:
        result = self._caller.run(
            lambda keys, read: self._client.request(method, path, keys, body, read_timeout=read),
            self._limiter,
            _deadline.get(),
        ).result
        return result if isinstance(result, tuple) else None
