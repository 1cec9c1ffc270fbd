"""What a container builds once and reuses across invocations: settings, keys, HTTP pool."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from activity_poster.adapters.intake import Intake
from activity_poster.calls import RetryingCaller
from activity_poster.credentials import KeyStore
from activity_poster.delivery import ActivityPoster
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.policy import LEADSQUARED_WINDOW_SECONDS, RetryPolicy
from activity_poster.queues import Queues
from activity_poster.ratelimit import Pacer, RollingWindowLimiter
from activity_poster.service import ActivityService
from activity_poster.settings import Settings
from activity_poster.tenant import Tenant


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    service: ActivityService
    queues: Queues
    # The async API mode's way onto the queue; None when ACTIVITY_QUEUE_URL is not set.
    intake: Intake | None = None


def _pacers(settings: Settings) -> tuple[Pacer | None, Pacer | None, Pacer | None]:
    """(batch, interactive, bulk): the account's budgets in DynamoDB when a table is
    configured, else this container's own limiters."""
    limit, bulk, margin = settings.rate_limit, settings.bulk_rate_limit, settings.rate_margin
    if settings.budget_table is None:
        single = RollingWindowLimiter(limit, margin_seconds=margin) if limit else None
        return single, single, RollingWindowLimiter(bulk, margin_seconds=margin) if bulk else None
    from activity_poster.budget import AccountBudget, DailyLimit

    daily = DailyLimit(settings.daily_limit) if settings.daily_limit else None
    table = settings.budget_table
    interactive = (
        AccountBudget(table, "standard", limit, margin_seconds=margin, daily=daily)
        if limit
        else None
    )
    batch = interactive.deferring(settings.batch_defer) if interactive else None
    bulk_budget = (
        AccountBudget(table, "bulk", bulk, margin_seconds=margin, daily=daily) if bulk else None
    )
    return batch, interactive, bulk_budget


@functools.cache
def get_container() -> Container:
    """Built on first use, so a configuration error is reported by the invocation that hit it."""
    settings = Settings.from_env()
    client = LeadSquaredClient(
        settings.api_url,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_connections=settings.workers,
    )
    limit = settings.rate_limit
    policy = RetryPolicy(
        max_attempts=settings.max_attempts,
        throttle_window_seconds=limit.window_seconds if limit else LEADSQUARED_WINDOW_SECONDS,
    )
    keys = KeyStore(settings.secret_id, max_age=settings.secret_max_age)
    batch, interactive, bulk = _pacers(settings)
    caller = RetryingCaller(keys, policy, settings.call_times, home_of=client.home_of)
    tenant = Tenant(
        client,
        caller,
        interactive,
        schema_mode=settings.schema_check,
        schema_max_age=settings.schema_max_age,
        lead_policy=settings.lead_policy,
        lead_cache_seconds=settings.lead_cache_seconds,
    )
    poster = ActivityPoster(
        client,
        caller,
        limiter=batch,
        interactive_limiter=interactive,
        mode=settings.delivery_mode,
        bulk_limiter=bulk,
    )
    idempotency = None
    if settings.idempotency_table:
        # Imported only when enabled: it brings the DynamoDB client and its cold-start cost.
        from activity_poster.idempotency import IdempotentPoster

        idempotency = IdempotentPoster(
            poster, settings.idempotency_table, settings.idempotency_expiry
        )
    queues = Queues()
    intake = Intake(queues, settings.activity_queue_url) if settings.activity_queue_url else None
    return Container(settings, ActivityService(poster, tenant, idempotency), queues, intake)
