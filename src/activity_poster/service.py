"""What the adapters call: validate, deduplicate when configured, post."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster import metrics
from activity_poster.deadline import NO_DEADLINE, Deadline
from activity_poster.delivery import ActivityPoster
from activity_poster.leadsquared.outcomes import Outcome
from activity_poster.metrics import Metric
from activity_poster.models import InvalidActivity, parse_activity
from activity_poster.observability import logger

if TYPE_CHECKING:
    from activity_poster.idempotency import IdempotentPoster


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    # True when the activity had been delivered before and was not posted again.
    replayed: bool = False


class ActivityService:
    def __init__(self, poster: ActivityPoster, idempotency: IdempotentPoster | None = None) -> None:
        self._poster = poster
        self._idempotency = idempotency

    def begin_invocation(self, context: LambdaContext | None) -> None:
        if self._idempotency is not None:
            self._idempotency.register_context(context)

    def submit(
        self,
        data: Any,
        *,
        key_hint: str | None = None,
        deadline: Deadline = NO_DEADLINE,
        bulk_ok: bool = True,
    ) -> Result:
        """Post `data` (a decoded JSON value) once. `key_hint` is the transport's idempotency
        key (SQS message attribute, HTTP header); a key in the body takes precedence."""
        try:
            activity = parse_activity(data)
        except InvalidActivity as error:
            return self.refuse(error)
        if not self._poster.can_start(deadline):
            # Before the idempotency record's two DynamoDB calls, which the deadline's call
            # budget does not cover.
            return Result(self._poster.defer())
        if self._idempotency is None:
            return Result(self._poster.post(activity, deadline, bulk_ok=bulk_ok))
        key = activity.IdempotencyKey or key_hint or activity.fingerprint()
        outcome, replayed = self._idempotency.post(activity, key, deadline, bulk_ok=bulk_ok)
        if replayed:
            metrics.count(Metric.DEDUPLICATED)
            logger.info(
                "duplicate activity not posted again",
                extra={
                    "outcome": "deduplicated",
                    "activity_id": getattr(outcome, "activity_id", None),
                },
            )
        return Result(outcome, replayed)

    def refuse(self, error: InvalidActivity) -> Result:
        return Result(self._poster.refuse(error))
