"""Post each activity once: Powertools Idempotency on DynamoDB, keyed per activity.

LeadSquared has no idempotency key, so a redelivered SQS message or an upstream system that
sends the same activity twice would otherwise create a second activity. Only deliveries are
recorded: a failed attempt leaves no record, so the activity can be retried.

The record keeps a hash of the activity (Powertools' `payload_validation_jmespath`): a key
seen again with a different activity is a conflict (`KeyReused`), never a replay. A caller's
own key is scoped to the caller (the queue, or the API key), so two callers' keys never meet.
If the record cannot be saved once LeadSquared confirmed the activity, it is still delivered
(a loud line and a metric): failing it would post it again on every receive.
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
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster import metrics
from activity_poster.deadline import Deadline
from activity_poster.delivery import ActivityPoster
from activity_poster.metrics import Metric
from activity_poster.models import Activity
from activity_poster.observability import logger
from activity_poster.outcomes import (
    AlreadyDelivered,
    Delivered,
    InProgress,
    KeyReused,
    Outcome,
    StoreUnavailable,
)

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
            payload_validation_jmespath="activity",
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
            confirmed: list[Delivered],
        ) -> dict[str, Any]:
            outcome = poster.deliver(
                activity, deadline, interactive=interactive, may_exist=may_exist
            )
            if not isinstance(outcome, Delivered):
                raise _NotDelivered(outcome)
            confirmed.append(outcome)
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
        fingerprint: str,
        deadline: Deadline,
        *,
        interactive: bool = False,
        may_exist: bool = False,
        callers_key: str | None = None,
    ) -> Outcome:
        """Delivered once under `key`; AlreadyDelivered when an earlier delivery of the same
        activity (`fingerprint`) recorded it; KeyReused when it recorded another activity
        (named by `callers_key`, the key as the caller gave it)."""
        confirmed: list[Delivered] = []
        try:
            result = self._deliver_once(
                request={"key": key, "activity": fingerprint},
                activity=activity,
                deadline=deadline,
                interactive=interactive,
                may_exist=may_exist,
                confirmed=confirmed,
            )
        except _NotDelivered as failure:
            return failure.outcome
        except IdempotencyAlreadyInProgressError:
            return InProgress()
        except IdempotencyValidationError:
            return KeyReused(callers_key or key)
        except IdempotencyPersistenceLayerError as error:
            if confirmed:  # LeadSquared has it: only the record is missing
                metrics.count(Metric.IDEMPOTENCY_RECORD_LOST)
                logger.error(
                    "activity delivered, but its idempotency record could not be saved: "
                    "a redelivery of it within the window would post it again",
                    extra={"activity_id": confirmed[0].activity_id, "error": type(error).__name__},
                )
                return confirmed[0]
            return StoreUnavailable(f"the idempotency table could not be read ({error})")
        if result.get(_REPLAYED):
            return AlreadyDelivered(result.get("activityId"), result.get("leadScore"))
        return Delivered(result.get("activityId"), result.get("leadScore"))
