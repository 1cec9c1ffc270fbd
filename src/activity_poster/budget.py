"""One LeadSquared budget per account, shared by every container: slot leases in DynamoDB.

A budget of N calls per W seconds is N lease items (partition `budget`, sort key `slot`),
each holding when it was last taken (`taken_at`, wall-clock seconds). A call takes the
oldest lease last taken more than W + margin ago, with a conditional write that succeeds
only if the lease still holds the time that was read: two containers can never take the same
lease, and a lease is taken at most once per W + margin, so no rolling window of W seconds
holds more than N calls across all containers. Clocks of Lambda hosts are NTP-synchronised
to a few milliseconds; the margin (0.1 s by default) covers that skew and the time between
taking a lease and the request reaching LeadSquared. A call that has to open a connection
first (a cold start, a pool growing) dates its lease again once the connection is open, just
before the request leaves (`redate`): a slow handshake never shortens the gap between two
calls' arrivals below the window.

Callers who wait (the API) go first: batch work (SQS) takes a lease only once it has been
free for `defer` seconds (0.15 s by default), and no sooner than W / N after the newest
lease, so a request arriving during a full-speed drain finds a lease freeing within moments
and takes it first, while batches still use nearly all of the budget (a lease cycle is
W + margin + defer). Within a container one thread at a time looks for a lease, so a busy
container adds one contender, not ten. Cost per call: one Query and one conditional
UpdateItem (a few ms each in-region); one more UpdateItem for a call that opened a new
connection, and one with a daily limit.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from activity_poster import metrics
from activity_poster.observability import logger
from activity_poster.ratelimit import DailyLimitReached, RateLimit

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Longest single sleep while waiting for a lease: others may free or take leases meanwhile.
_POLL_SECONDS = 0.5
_JITTER_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class DailyLimit:
    calls: int


class AccountBudget:
    """The same interface as RollingWindowLimiter: acquire, try_acquire, pause, redate."""

    def __init__(
        self,
        table: str,
        name: str,
        limit: RateLimit,
        *,
        margin_seconds: float = 0.1,
        defer: float = 0.0,
        daily: DailyLimit | None = None,
        client: DynamoDBClient | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        taken: threading.local | None = None,
    ) -> None:
        """`defer`: how long a lease must have been free before this user takes it (0 for
        the API, 0.15 s for batches by default); `daily`: the account's calls per UTC day."""
        self.limit = limit
        self._table = table
        self._name = name
        self._span = limit.window_seconds + margin_seconds
        self._defer = defer
        self._spacing = limit.window_seconds / limit.calls
        self._one_at_a_time = threading.Lock()
        self._daily = daily
        self._client = client
        self._clock = clock
        self._sleep = sleep
        self._paused_until = 0.0
        self._taken = taken if taken is not None else threading.local()

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            self._client = boto3.client("dynamodb")
        return self._client

    def deferring(self, defer: float) -> AccountBudget:
        """The same budget, for a user that lets others take a freed lease first."""
        return AccountBudget(
            self._table,
            self._name,
            self.limit,
            margin_seconds=self._span - self.limit.window_seconds,
            defer=defer,
            daily=self._daily,
            client=self._client,
            clock=self._clock,
            sleep=self._sleep,
            taken=self._taken,
        )

    def acquire(self, latest: float | None = None) -> bool:
        """Wait for a lease and take it; False if none frees up by `latest` (monotonic)."""
        with self._one_at_a_time:
            while True:
                ready = self._try_once()
                if ready is None:
                    break
                wait = max(0.0, ready - self._clock())
                if latest is not None and time.monotonic() + wait > latest:
                    return False
                # Batches wake with a little jitter: containers that all wait for the same
                # lease do not all read and try for it in the same instant.
                jitter = random.uniform(0, _JITTER_SECONDS) if self._defer else 0.0  # noqa: S311
                self._sleep(min(max(wait, 0.01), _POLL_SECONDS) + jitter)
        self._count_the_day()
        return True

    def try_acquire(self) -> bool:
        """Take a lease only if one is free right now; never waits."""
        with self._one_at_a_time:
            if self._try_once() is not None:
                return False
        self._count_the_day()
        return True

    def free_in(self) -> float:
        """Seconds until this user may take a lease (0: now); one Query, takes nothing."""
        now = self._clock()
        taken = self._leases()
        oldest = min((taken.get(slot, 0.0) for slot in range(self.limit.calls)), default=0.0)
        ready = max(self._paused_until, oldest + self._span + self._defer)
        return max(0.0, ready - now)

    def pause(self, seconds: float) -> None:
        """After a throttled answer: this container holds back for the window."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def redate(self) -> None:
        """Date this thread's last lease now, if it still holds the time it was taken at:
        one more UpdateItem, only for a call that opened a new connection."""
        lease: tuple[int, float] | None = getattr(self._taken, "lease", None)
        if lease is None:
            return
        slot, seen = lease
        now = self._clock()
        try:
            if now > seen and self._take(slot, seen, now):
                self._taken.lease = (slot, now)
        except (BotoCoreError, ClientError) as error:
            # The call goes on: its lease keeps the time it was taken, as without a new
            # connection; failing the call here would lose nothing but time.
            logger.warning(
                "could not date a budget lease again", extra={"error": type(error).__name__}
            )

    def _try_once(self) -> float | None:
        """Take a free lease (None), or say when one may be free (wall-clock seconds)."""
        now = self._clock()
        if self._paused_until > now:
            return self._paused_until
        taken = self._leases()
        slot = min(range(self.limit.calls), key=lambda slot: taken.get(slot, 0.0))
        ready = taken.get(slot, 0.0) + self._span + self._defer
        if self._defer:
            # Batches also space their leases at the plan's steady rate: a burst would take
            # every lease at once, and free them all at once a window later, leaving an API
            # request that just missed them to wait the whole window.
            ready = max(ready, max(taken.values(), default=0.0) + self._spacing)
        if ready > now:
            return ready
        if self._take(slot, taken.get(slot), now):
            self._taken.lease = (slot, now)
            return None
        return now  # another container took it first: look again at once

    def _leases(self) -> dict[int, float]:
        answer = self.client.query(
            TableName=self._table,
            KeyConditionExpression="budget = :budget",
            ExpressionAttributeValues={":budget": {"S": self._name}},
            ConsistentRead=True,
        )
        return {
            int(item["slot"]["N"]): float(item["taken_at"]["N"])
            for item in answer.get("Items", [])
            if "taken_at" in item
        }

    def _take(self, slot: int, seen: float | None, now: float) -> bool:
        condition = "attribute_not_exists(taken_at)" if seen is None else "taken_at = :seen"
        values: dict[str, Any] = {":now": {"N": repr(now)}}
        if seen is not None:
            values[":seen"] = {"N": repr(seen)}
        try:
            self.client.update_item(
                TableName=self._table,
                Key={"budget": {"S": self._name}, "slot": {"N": str(slot)}},
                UpdateExpression="SET taken_at = :now",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _count_the_day(self) -> None:
        """Count the call in the day's total; DailyLimitReached once it is spent."""
        if self._daily is None:
            return
        now = datetime.fromtimestamp(self._clock(), UTC)
        reset = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
        try:
            answer = self.client.update_item(
                TableName=self._table,
                Key={"budget": {"S": f"day#{now:%Y-%m-%d}"}, "slot": {"N": "0"}},
                UpdateExpression="ADD used :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(used) OR used < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(self._daily.calls)},
                    ":expires": {"N": str(int(reset.timestamp()) + 86400)},
                },
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise DailyLimitReached((reset - now).total_seconds()) from None
            raise
        used = int(answer["Attributes"]["used"]["N"])
        metrics.daily_budget_used(100.0 * used / self._daily.calls)
