"""What the adapters call: validate, deduplicate when configured, deliver."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from activity_poster import metrics
from activity_poster.deadline import NO_DEADLINE, Deadline
from activity_poster.delivery import ActivityPoster, record
from activity_poster.metrics import Metric
from activity_poster.models import Activity, InvalidActivity, parse_activity
from activity_poster.observability import logger
from activity_poster.outcomes import AlreadyDelivered, Invalid, Outcome

if TYPE_CHECKING:
    from activity_poster.idempotency import IdempotentPoster
    from activity_poster.tenant import Tenant


def invalid(error: InvalidActivity) -> Invalid:
    """Our validation's errors as an outcome."""
    return Invalid(tuple(e.as_dict() for e in error.errors), getattr(error, "more", 0))


class ActivityService:
    def __init__(
        self,
        poster: ActivityPoster,
        tenant: Tenant | None = None,
        idempotency: IdempotentPoster | None = None,
    ) -> None:
        self._poster = poster
        self._tenant = tenant
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
        interactive: bool = False,
        sent_at: datetime | None = None,
        may_exist: bool = False,
        caller: str | None = None,
    ) -> Outcome:
        """Deliver `data` (a decoded JSON value) once.

        `key_hint` is the transport's idempotency key (SQS message attribute, HTTP header); a
        key in the body wins. `sent_at`: when the upstream sent it, the activity's time when
        it has none of its own (default: now), so that a late delivery keeps the time it
        happened. `may_exist`: an earlier attempt may have created it (a redelivered
        message), so it is looked up before it is posted. `caller` (the queue, the API key)
        scopes the caller's own idempotency key, so two callers' keys never meet.
        """
        try:
            activity = parse_activity(data)
        except InvalidActivity as error:
            return self.refuse(error)
        # Taken before the time is stamped: an upstream resend of an activity without a time
        # of its own is still the same activity.
        fingerprint = activity.fingerprint()
        own_key = activity.IdempotencyKey or key_hint
        key = (f"{caller}|{own_key}" if caller else own_key) if own_key else fingerprint
        if activity.ActivityDateTime is None:
            stamp = (sent_at or datetime.now(UTC)).astimezone(UTC)
            activity = activity.model_copy(
                update={"ActivityDateTime": f"{stamp:%Y-%m-%d %H:%M:%S}"}
            )
        if not self._poster.can_start(deadline):
            # Before the idempotency record's two DynamoDB calls, which the deadline's call
            # budget does not cover.
            return self._poster.not_tried()
        if self._tenant is not None:
            vetted = self._tenant.vet(activity, deadline)
            if not isinstance(vetted, Activity):
                record(vetted, 0.0, attempts=0)
                return vetted
            activity = vetted
        if self._idempotency is None:
            outcome = self._poster.deliver(
                activity, deadline, interactive=interactive, may_exist=may_exist
            )
            if self._tenant is not None:
                self._tenant.after(outcome)
            return outcome
        outcome = self._idempotency.deliver_once(
            activity,
            key,
            fingerprint,
            deadline,
            interactive=interactive,
            may_exist=may_exist,
            callers_key=own_key,
        )
        if self._tenant is not None:
            self._tenant.after(outcome)
        if isinstance(outcome, AlreadyDelivered):
            metrics.count(Metric.DEDUPLICATED)
            logger.info(
                "duplicate activity not posted again",
                extra={"outcome": "deduplicated", "activity_id": outcome.activity_id},
            )
        return outcome

    def refuse(self, error: InvalidActivity) -> Invalid:
        """Input that never became an activity: logged, and refused."""
        outcome = invalid(error)
        record(outcome, 0.0, attempts=0)
        return outcome
