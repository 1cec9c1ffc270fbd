"""Configuration read once from the environment into a typed, validated object.

Every error names the variable at fault so a misconfigured deployment says what to fix.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from activity_poster.ratelimit import RateLimit

CREATE_ACTIVITY_PATH = "/v2/ProspectActivity.svc/Create"
BULK_ACTIVITY_PATH = "/v2/ProspectActivity.svc/Bulk/CustomActivity/Add/ByLeadId"
# A DNS name or an IP address (IPv6 without its brackets, as urlsplit gives it).
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|[0-9A-Fa-f:.]+)$")


class ConfigurationError(Exception):
    """The function's environment is missing a variable or holds an invalid value."""


@dataclass(frozen=True, slots=True)
class Settings:
    api_url: str
    secret_id: str
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    secret_max_age: int = 300
    # This container's share of the plan's limit; None: no client-side pacing.
    rate_limit: RateLimit | None = None
    bulk_rate_limit: RateLimit | None = None
    delivery_mode: str = "single"
    # Deliveries in flight at once within a batch; the rate limiter decides when each goes.
    workers: int = 10
    rate_margin: float = 0.1
    max_attempts: int = 3
    deadline_margin: float = 1.0
    idempotency_table: str | None = None
    idempotency_expiry: int = 86400
    dead_letter_queue_url: str | None = None
    activity_queue_url: str | None = None
    # The queue's maxReceiveCount, so that an untried message is never dead-lettered by SQS.
    max_receive_count: int | None = None
    retry_backoff_base: int = 30
    retry_backoff_max: int = 900

    @property
    def create_activity_url(self) -> str:
        return self.api_url + CREATE_ACTIVITY_PATH

    @property
    def bulk_activity_url(self) -> str:
        return self.api_url + BULK_ACTIVITY_PATH

    @property
    def call_budget(self) -> float:
        """The longest one call can take, plus a margin: no call starts with less time left."""
        return self.connect_timeout + self.read_timeout + self.deadline_margin

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            api_url=_api_url(env),
            secret_id=_required(env, "LEADSQUARED_SECRET_ID"),
            connect_timeout=_positive_float(env, "LEADSQUARED_CONNECT_TIMEOUT", 3.05),
            read_timeout=_positive_float(env, "LEADSQUARED_READ_TIMEOUT", 10.0),
            secret_max_age=_positive_int(env, "LEADSQUARED_SECRET_MAX_AGE", 300),
            rate_limit=_rate_limit_share(env, "LEADSQUARED_RATE_LIMIT"),
            bulk_rate_limit=_rate_limit_share(env, "LEADSQUARED_BULK_RATE_LIMIT"),
            delivery_mode=_choice(env, "DELIVERY_MODE", ("single", "bulk", "auto"), "single"),
            workers=_positive_int(env, "DELIVERY_WORKERS", 10),
            rate_margin=_positive_float(env, "LEADSQUARED_RATE_MARGIN_SECONDS", 0.1),
            max_attempts=_positive_int(env, "LEADSQUARED_MAX_ATTEMPTS", 3),
            deadline_margin=_positive_float(env, "DEADLINE_MARGIN_SECONDS", 1.0),
            idempotency_table=env.get("IDEMPOTENCY_TABLE_NAME", "").strip() or None,
            idempotency_expiry=_positive_int(env, "IDEMPOTENCY_EXPIRY_SECONDS", 86400),
            dead_letter_queue_url=env.get("DEAD_LETTER_QUEUE_URL", "").strip() or None,
            activity_queue_url=env.get("ACTIVITY_QUEUE_URL", "").strip() or None,
            max_receive_count=(
                _positive_int(env, "MAX_RECEIVE_COUNT", 1) if env.get("MAX_RECEIVE_COUNT") else None
            ),
            retry_backoff_base=_positive_int(env, "RETRY_BACKOFF_BASE_SECONDS", 30),
            retry_backoff_max=_positive_int(env, "RETRY_BACKOFF_MAX_SECONDS", 900),
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise ConfigurationError(f"{name} must be a finite number above zero, got {raw!r}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and int(raw) > 0):
        raise ConfigurationError(
            f"{name} must be a whole number of seconds above zero, got {raw!r}"
        )
    return int(raw)


def _rate_limit_share(env: Mapping[str, str], name: str) -> RateLimit | None:
    """The plan's limit divided among the containers that share it."""
    raw = env.get(name, "").strip()
    if not raw or raw.lower() == "none":
        return None
    try:
        plan = RateLimit.parse(raw)
    except ValueError as error:
        raise ConfigurationError(f"{name}: {error}") from None
    containers = _positive_int(env, "LEADSQUARED_CONTAINERS", 1)
    try:
        return plan.share(containers)
    except ValueError as error:
        raise ConfigurationError(
            f"LEADSQUARED_CONTAINERS and {name}: {error}; lower the maximum "
            "concurrency or raise the plan's limit"
        ) from None


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in allowed:
        raise ConfigurationError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes"}


def _api_url(env: Mapping[str, str]) -> str:
    name = "LEADSQUARED_API_URL"
    raw = _required(env, name)
    invalid = ConfigurationError(
        f"{name} must be a base URL such as https://api-in21.leadsquared.com, got {raw!r}"
    )
    try:
        parts = urlsplit(raw)
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        raise invalid from None
    if (
        parts.scheme not in {"https", "http"}
        or not parts.hostname
        or not _HOST_RE.match(parts.hostname)
    ):
        raise invalid
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(f"{name} must not carry a query, fragment or credentials")
    # Keys travel in headers: plain http would expose them on the wire. Loopback is the local
    # emulator; LEADSQUARED_ALLOW_HTTP exists for `sam local`, whose container reaches the host
    # machine by name rather than by a loopback address.
    if (
        parts.scheme == "http"
        and not is_loopback(parts.hostname)
        and not _flag(env, "LEADSQUARED_ALLOW_HTTP")
    ):
        raise ConfigurationError(
            f"{name} must use https (plain http is accepted only for a loopback host), got {raw!r}"
        )
    return raw.rstrip("/")


def is_loopback(host: str) -> bool:
    """localhost or a loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
