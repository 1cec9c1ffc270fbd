"""Post each activity once: Powertools Idempotency on DynamoDB, keyed per activity.

LeadSquared has no idempotency key, so a redelivered SQS message or an upstream system that
sends the same activity twice would otherwise create a second activity. Only deliveries are
recorded: a failed attempt leaves no record, so the activity can be retried.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster.deadline import Deadline
from activity_poster.delivery import ActivityPoster
from activity_poster.models import Activity
from activity_poster.outcomes import AlreadyDelivered, Delivered, InProgress, Outcome

_REPLAYED = "replayed"


class _NotDelivered(Exception):
    """Raised inside the idempotent call so Powertools records nothing for a failure."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        super().__init__(type(outcome).__name__)


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    return {**response, _REPLAYED: True}


class IdempotentPoster:
    def __init__(self, poster: ActivityPoster, table_name: str, expiry_seconds: int) -> None:
        self._config = IdempotencyConfig(
            event_key_jmespath="key",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=expiry_seconds,
            response_hook=_mark_replayed,
        )
        persistence = DynamoDBPersistenceLayer(table_name=table_name)

        def deliver_once(
            request: dict[str, str],
            activity: Activity,
            deadline: Deadline,
            interactive: bool,
            may_exist: bool,
        ) -> dict[str, Any]:
            outcome = poster.deliver(
                activity, deadline, interactive=interactive, may_exist=may_exist
            )
            if not isinstance(outcome, Delivered):
                raise _NotDelivered(outcome)
            return {"activityId": outcome.activity_id, "leadScore": outcome.lead_score}

        self._deliver_once = idempotent_function(
            deliver_once,
            data_keyword_argument="request",
            persistence_store=persistence,
            config=self._config,
            # A stable prefix: the records outlive refactoring of this module.
            key_prefix="leadsquared-activity",
        )

    def register_context(self, context: LambdaContext | None) -> None:
        """Lets Powertools expire an in-progress record if the invocation times out."""
        if context is not None:
            self._config.register_lambda_context(context)

    def deliver_once(
        self,
        activity: Activity,
        key: str,
        deadline: Deadline,
        *,
        interactive: bool = False,
        may_exist: bool = False,
    ) -> Outcome:
        """Delivered once under `key`; AlreadyDelivered when an earlier delivery recorded it."""
        try:
            result = self._deliver_once(
                request={"key": key},
                activity=activity,
                deadline=deadline,
                interactive=interactive,
                may_exist=may_exist,
            )
        except _NotDelivered as failure:
            return failure.outcome
        except IdempotencyAlreadyInProgressError:
            return InProgress()
        if result.get(_REPLAYED):
            return AlreadyDelivered(result.get("activityId"), result.get("leadScore"))
        return Delivered(result.get("activityId"), result.get("leadScore"))
