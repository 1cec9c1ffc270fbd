"""Configuration read once from the environment into a typed, validated object.

Every error names the variable at fault so a misconfigured deployment says what to fix.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from activity_poster.deadline import CallTimes
from activity_poster.leads import LeadPolicy
from activity_poster.ratelimit import RateLimit
from activity_poster.schema_check import SchemaMode

_EXAMPLE_URL = "https://api-in21.leadsquared.com"
# A DNS name or an IP address (IPv6 without its brackets, as urlsplit gives it).
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|[0-9A-Fa-f:.]+)$")


class ConfigurationError(Exception):
    """The function's environment is missing a variable or holds an invalid value."""


class DeliveryMode(StrEnum):
    SINGLE = "single"  # one activity per call
    BULK = "bulk"  # activities with a lead id through the bulk endpoint
    AUTO = "auto"  # single calls while their budget has room, bulk for the rest


def flag(value: str | None) -> bool:
    """An on/off variable: 1, true or yes (any case) is on, anything else off."""
    return (value or "").strip().lower() in {"1", "true", "yes"}


_Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
_Flag = Annotated[bool, BeforeValidator(lambda v: flag(v) if isinstance(v, str) else v)]
_LOWER = BeforeValidator(lambda v: str(v).lower())
_Mode = Annotated[DeliveryMode, _LOWER]


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True)

    # Keys travel in headers: plain http would expose them on the wire. Loopback is the local
    # emulator; LEADSQUARED_ALLOW_HTTP exists for `sam local`, whose container reaches the host
    # machine by name rather than by a loopback address.
    allow_http: _Flag = Field(False, validation_alias="LEADSQUARED_ALLOW_HTTP")
    # The base URL: scheme, host and port, without a trailing slash.
    api_url: str = Field(validation_alias="LEADSQUARED_API_URL")
    secret_id: str = Field(validation_alias="LEADSQUARED_SECRET_ID")
    connect_timeout: _Seconds = Field(3.05, validation_alias="LEADSQUARED_CONNECT_TIMEOUT")
    read_timeout: _Seconds = Field(10.0, validation_alias="LEADSQUARED_READ_TIMEOUT")
    secret_max_age: PositiveInt = Field(300, validation_alias="LEADSQUARED_SECRET_MAX_AGE")
    # How many containers share the plan's rate limit (the function's maximum concurrency).
    containers: PositiveInt = Field(1, validation_alias="LEADSQUARED_CONTAINERS")
    # This container's share of the plan's limit; None: no client-side pacing.
    rate_limit: RateLimit | None = Field(None, validation_alias="LEADSQUARED_RATE_LIMIT")
    bulk_rate_limit: RateLimit | None = Field(None, validation_alias="LEADSQUARED_BULK_RATE_LIMIT")
    delivery_mode: _Mode = Field(DeliveryMode.SINGLE, validation_alias="DELIVERY_MODE")
    # Deliveries in flight at once within a batch; the rate limiter decides when each goes.
    workers: PositiveInt = Field(10, validation_alias="DELIVERY_WORKERS")
    rate_margin: _Seconds = Field(0.1, validation_alias="LEADSQUARED_RATE_MARGIN_SECONDS")
    max_attempts: PositiveInt = Field(3, validation_alias="LEADSQUARED_MAX_ATTEMPTS")
    deadline_margin: _Seconds = Field(1.0, validation_alias="DEADLINE_MARGIN_SECONDS")
    idempotency_table: str | None = Field(None, validation_alias="IDEMPOTENCY_TABLE_NAME")
    idempotency_expiry: PositiveInt = Field(86400, validation_alias="IDEMPOTENCY_EXPIRY_SECONDS")
    dead_letter_queue_url: str | None = Field(None, validation_alias="DEAD_LETTER_QUEUE_URL")
    activity_queue_url: str | None = Field(None, validation_alias="ACTIVITY_QUEUE_URL")
    # The queue's maxReceiveCount, so that an untried message is never dead-lettered by SQS.
    max_receive_count: PositiveInt | None = Field(None, validation_alias="MAX_RECEIVE_COUNT")
    retry_backoff_base: PositiveInt = Field(30, validation_alias="RETRY_BACKOFF_BASE_SECONDS")
    retry_backoff_max: PositiveInt = Field(900, validation_alias="RETRY_BACKOFF_MAX_SECONDS")
    # What the function checks of the account before posting (tenant.py).
    schema_check: Annotated[SchemaMode, _LOWER] = Field(
        SchemaMode.STRICT, validation_alias="LEADSQUARED_SCHEMA_CHECK"
    )
    schema_max_age: PositiveInt = Field(900, validation_alias="LEADSQUARED_SCHEMA_MAX_AGE")
    lead_policy: Annotated[LeadPolicy, _LOWER] = Field(
        LeadPolicy.CREATE, validation_alias="LEAD_POLICY"
    )
    lead_cache_seconds: PositiveInt = Field(300, validation_alias="LEAD_CACHE_SECONDS")
    # The account-wide budget (budget.py); without it, each container paces itself alone.
    budget_table: str | None = Field(None, validation_alias="LEADSQUARED_BUDGET_TABLE")
    daily_limit: PositiveInt | None = Field(None, validation_alias="LEADSQUARED_DAILY_LIMIT")
    # How long a freed lease of the standard budget is left to API callers before batches
    # may take it.
    batch_defer: Annotated[float, Field(ge=0, le=5)] = Field(
        0.15, validation_alias="LEADSQUARED_BATCH_DEFER_SECONDS"
    )

    @property
    def call_times(self) -> CallTimes:
        return CallTimes(self.connect_timeout, self.read_timeout, self.deadline_margin)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        try:  # an empty or blank value counts as unset
            return cls.model_validate({k: v.strip() for k, v in env.items() if v.strip()})
        except ValidationError as error:
            raise ConfigurationError("; ".join(map(_message, error.errors()))) from None

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, raw: str, info: ValidationInfo) -> str:
        try:
            parts = urlsplit(raw)
            _ = parts.port  # raises on a port that is not a number
        except ValueError:
            parts = urlsplit("")
        if parts.scheme not in {"https", "http"} or not _HOST_RE.match(parts.hostname or ""):
            raise ValueError(f"must be a base URL such as {_EXAMPLE_URL}, got {raw!r}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("must not carry a query, fragment or credentials")
        if parts.path.rstrip("/") not in {"", "/v2"}:
            raise ValueError(f"give the host only, such as {_EXAMPLE_URL}, got {raw!r}")
        if parts.scheme == "http" and not (
            is_loopback(parts.hostname or "") or info.data.get("allow_http")
        ):
            raise ValueError(
                "must use https (plain http is accepted only for a loopback host or with "
                f"LEADSQUARED_ALLOW_HTTP), got {raw!r}"
            )
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("rate_limit", "bulk_rate_limit", mode="before")
    @classmethod
    def _rate_limit_share(cls, raw: object, info: ValidationInfo) -> object:
        """The plan's limit divided among the containers that share it."""
        if not isinstance(raw, str):
            return raw
        if raw.lower() == "none":
            return None
        plan = RateLimit.parse(raw)
        try:  # an invalid LEADSQUARED_CONTAINERS is reported on its own
            return plan.share(info.data.get("containers", 1))
        except ValueError as error:
            raise ValueError(
                f"{error}; lower LEADSQUARED_CONTAINERS (the maximum concurrency) "
                "or raise the plan's limit"
            ) from None


def _message(error: ErrorDetails) -> str:
    name = ".".join(map(str, error["loc"]))
    if error["type"] == "missing":
        return f"{name} is not set"
    if error["type"] == "value_error":
        return f"{name}: {error['ctx']['error']}"
    return f"{name}: {error['msg']}, got {error['input']!r}"


def is_loopback(host: str) -> bool:
    """localhost or a loopback address (127.0.0.0/8, ::1)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
