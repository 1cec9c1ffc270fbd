"""CloudWatch metrics as EMF log lines (Powertools Metrics), flushed once per invocation.

Namespace and service come from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME.
Delivery threads record into a tally under a lock; `publish()` hands the tally to
Powertools once per invocation, before its flush. Counts go out as one value per
invocation (the dashboard and the alarms read them as Sum, which is unchanged), latencies
one value per call (percentiles need each one). Powertools' add_metric validates its
arguments and formats a debug message on every call: once per activity, that was more CPU
than the rest of a delivery's bookkeeping.
"""

from __future__ import annotations

import threading
from collections import Counter
from enum import StrEnum

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="LeadSquaredActivityPoster", service="leadsquared-activity-poster")


class Metric(StrEnum):
    DELIVERED = "Delivered"
    REJECTED = "Rejected"
    THROTTLED = "Throttled"
    RETRIED = "Retried"
    DEAD_LETTERED = "DeadLettered"
    DEDUPLICATED = "Deduplicated"
    UNAVAILABLE = "Unavailable"
    UNAUTHORIZED = "Unauthorized"
    NOT_TRIED = "NotTried"
    CONFIGURATION_FAULT = "ConfigurationFault"
    IDEMPOTENCY_RECORD_LOST = "IdempotencyRecordLost"
    DAILY_LIMIT_REACHED = "DailyLimitReached"
    DAILY_BUDGET_USED = "DailyBudgetUsedPercent"
    UPSTREAM_LATENCY = "UpstreamLatency"


_lock = threading.Lock()
_counts: Counter[Metric] = Counter()
_latencies: list[float] = []
_daily_used: list[float] = []


def count(metric: Metric, value: int = 1) -> None:
    with _lock:
        _counts[metric] += value


def upstream_latency(milliseconds: float) -> None:
    """Time LeadSquared took to answer one call."""
    with _lock:
        _latencies.append(round(milliseconds, 1))


def daily_budget_used(percent: float) -> None:
    """How much of the account's daily calls is spent, as last seen by this container."""
    with _lock:
        _daily_used.append(percent)


def publish() -> None:
    """Move what was recorded since the last call into Powertools' metric set."""
    with _lock:
        counts, latencies = dict(_counts), list(_latencies)
        daily = max(_daily_used, default=None)
        _counts.clear()
        _latencies.clear()
        _daily_used.clear()
    for metric, value in counts.items():
        metrics.add_metric(name=metric.value, unit=MetricUnit.Count, value=value)
    if daily is not None:
        metrics.add_metric(
            name=Metric.DAILY_BUDGET_USED.value, unit=MetricUnit.Percent, value=round(daily, 2)
        )
    for milliseconds in latencies:
        metrics.add_metric(
            name=Metric.UPSTREAM_LATENCY.value, unit=MetricUnit.Milliseconds, value=milliseconds
        )
