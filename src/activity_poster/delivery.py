"""From raw input to an outcome: validate, take the keys, post once, log one outcome line."""

from __future__ import annotations

import time
from typing import Any

from activity_poster.credentials import KeyStore
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.leadsquared.outcomes import Delivered, Outcome, Rejected
from activity_poster.models import Activity, InvalidActivity, parse_activity
from activity_poster.observability import logger

VALIDATION_ERROR = "InvalidActivity"


def rejected_input(error: InvalidActivity) -> Rejected:
    return Rejected(
        VALIDATION_ERROR, str(error), field_errors=tuple(e.as_dict() for e in error.errors)
    )


class ActivityPoster:
    def __init__(self, client: LeadSquaredClient, keys: KeyStore) -> None:
        self._client = client
        self._keys = keys

    def deliver(self, data: Any) -> Outcome:
        """Validate `data` (a decoded JSON value) and post it; invalid input is Rejected."""
        try:
            activity = parse_activity(data)
        except InvalidActivity as error:
            return self.refuse(error)
        return self.post(activity)

    def refuse(self, error: InvalidActivity) -> Rejected:
        """Input that never became an activity (bad JSON, broken contract): logged, rejected."""
        outcome = rejected_input(error)
        _log_outcome(outcome, 0.0)
        return outcome

    def post(self, activity: Activity) -> Outcome:
        started = time.perf_counter()
        outcome = self._client.create_activity(activity.to_leadsquared(), self._keys.get())
        _log_outcome(outcome, time.perf_counter() - started)
        return outcome


def _log_outcome(outcome: Outcome, seconds: float) -> None:
    fields: dict[str, Any] = {"outcome": outcome.kind.value, "latency_ms": round(seconds * 1000, 1)}
    if isinstance(outcome, Delivered):
        fields["activity_id"] = outcome.activity_id
        logger.info("activity delivered", extra=fields)
        return
    fields.update({k: v for k, v in _describe(outcome).items() if v not in (None, "", ())})
    logger.warning(f"activity {outcome.kind.value}", extra=fields)


def _describe(outcome: Outcome) -> dict[str, Any]:
    # "message" is a reserved LogRecord attribute, hence error_message.
    return {
        "http_status": getattr(outcome, "http_status", None),
        "error_type": getattr(outcome, "error_type", None),
        "error_message": getattr(outcome, "message", None),
        "reason": getattr(outcome, "reason", None),
        "field_errors": getattr(outcome, "field_errors", None),
    }
