"""CloudWatch metrics as EMF log lines (Powertools Metrics), flushed once per invocation.

Namespace and service come from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME.
Delivery threads share one buffer, so every write goes through a lock.
"""

from __future__ import annotations

import threading
from enum import StrEnum

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="LeadSquaredActivityPoster", service="leadsquared-activity-poster")
_lock = threading.Lock()


class Metric(StrEnum):
    DELIVERED = "Delivered"
    REJECTED = "Rejected"
    THROTTLED = "Throttled"
    RETRIED = "Retried"
    DEAD_LETTERED = "DeadLettered"
    DEDUPLICATED = "Deduplicated"
    UNAVAILABLE = "Unavailable"
    UNAUTHORIZED = "Unauthorized"
    UPSTREAM_LATENCY = "UpstreamLatency"


def count(metric: Metric, value: int = 1) -> None:
    with _lock:
        metrics.add_metric(name=metric.value, unit=MetricUnit.Count, value=value)


def upstream_latency(milliseconds: float) -> None:
    """Time LeadSquared took to answer one call."""
    with _lock:
        metrics.add_metric(
            name=Metric.UPSTREAM_LATENCY.value,
            unit=MetricUnit.Milliseconds,
            value=round(milliseconds, 1),
        )
