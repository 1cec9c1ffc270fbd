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

CREATE_ACTIVITY_PATH = "/v2/ProspectActivity.svc/Create"
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

    @property
    def create_activity_url(self) -> str:
        return self.api_url + CREATE_ACTIVITY_PATH

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            api_url=_api_url(env),
            secret_id=_required(env, "LEADSQUARED_SECRET_ID"),
            connect_timeout=_positive_float(env, "LEADSQUARED_CONNECT_TIMEOUT", 3.05),
            read_timeout=_positive_float(env, "LEADSQUARED_READ_TIMEOUT", 10.0),
            secret_max_age=_positive_int(env, "LEADSQUARED_SECRET_MAX_AGE", 300),
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
        and not _is_loopback(parts.hostname)
        and not _flag(env, "LEADSQUARED_ALLOW_HTTP")
    ):
        raise ConfigurationError(
            f"{name} must use https (plain http is accepted only for a loopback host), got {raw!r}"
        )
    return raw.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
