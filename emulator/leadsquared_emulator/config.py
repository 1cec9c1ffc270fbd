"""Emulator settings.

Everything LeadSquared leaves undocumented (throttle status, score key, bulk row shape, ...)
is a field here, so tests can pin each guess explicitly instead of the emulator betting on one.
"""

import re
import uuid
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final, Self

DEFAULT_ACCESS_KEY: Final = "u$r0123456789abcdef0123456789abcdef"
DEFAULT_SECRET_KEY: Final = "0123456789abcdef0123456789abcdef01234567"  # noqa: S105 - fake key

PRIMARY_LEAD_ID: Final = "3f2a9c1e-6b7d-4e8f-a1b2-c3d4e5f60718"
SECONDARY_LEAD_ID: Final = "9d0b7e44-2c1a-4f5e-8b6d-0a1b2c3d4e5f"
PRIMARY_EMAIL: Final = "priya.nair@example.org"

KNOWN_LEAD_IDS: Final[frozenset[str]] = frozenset({PRIMARY_LEAD_ID, SECONDARY_LEAD_ID})
KNOWN_EMAILS: Final[frozenset[str]] = frozenset({PRIMARY_EMAIL})
# Which seeded lead each default email belongs to; other seeded emails get a derived id.
KNOWN_EMAIL_LEADS: Final[Mapping[str, str]] = MappingProxyType({PRIMARY_EMAIL: PRIMARY_LEAD_ID})

# Lead ids with this prefix never exist, so tests can craft unknown ids without coordination.
UNKNOWN_LEAD_PREFIX: Final = "00000000-"

DEFAULT_FIELD_SCHEMA_NAMES: Final[frozenset[str]] = frozenset(
    {f"mx_Custom_{n}" for n in range(1, 51)} | {"Status", "Owner"}
)

_NO_LIMIT_WORDS = frozenset({"none", "off", "unlimited", "0"})
_RATE_SPEC = re.compile(
    r"^\s*(?P<calls>\d+)\s*/\s*(?P<window>\d+(?:\.\d*)?|\.\d+)\s*(?:s|sec|secs|seconds?)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `calls` accepted calls in any rolling `window_seconds` interval."""

    calls: int
    window_seconds: float

    def __post_init__(self) -> None:
        if isinstance(self.calls, bool) or not isinstance(self.calls, int) or self.calls < 1:
            raise ValueError(f"RateLimit.calls must be a positive integer, got {self.calls!r}")
        if not self.window_seconds > 0:
            raise ValueError(f"RateLimit.window_seconds must be > 0, got {self.window_seconds!r}")

    @classmethod
    def parse(cls, spec: str) -> Self | None:
        """Parse `"25/5s"`, `"25/0.5s"` or `"25/5"`; `"none"` (or `"off"`) means unlimited."""
        text = spec.strip()
        if text.lower() in _NO_LIMIT_WORDS:
            return None
        match = _RATE_SPEC.match(text)
        if match is None:
            raise ValueError(f"invalid rate limit {spec!r}; expected e.g. '25/5s' or 'none'")
        return cls(int(match["calls"]), float(match["window"]))

    @property
    def window_text(self) -> str:
        """The window as LeadSquared prints it: `5`, not `5.0`."""
        window = float(self.window_seconds)
        return str(int(window)) if window.is_integer() else repr(window)

    @property
    def exceeded_message(self) -> str:
        return f"API calls exceeded the limit of {self.calls} in {self.window_text} second(s)"

    def __str__(self) -> str:
        return f"{self.calls}/{self.window_text}s"


@dataclass(frozen=True, slots=True, kw_only=True)
class EmulatorConfig:
    """How the emulated tenant behaves; immutable, swapped whole by `Emulator.configure`."""

    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = DEFAULT_SECRET_KEY

    # Rolling windows; None disables the bucket. Bulk endpoints have their own, lower budget.
    rate_limit: RateLimit | None = RateLimit(calls=25, window_seconds=5.0)
    bulk_rate_limit: RateLimit | None = RateLimit(calls=5, window_seconds=5.0)
    # Whether a throttled call also occupies a slot in the window (a client that keeps
    # hammering then stays locked out). Unknown for the real service; off by default.
    count_throttled: bool = False
    throttle_status: int = 429  # 429 per the docs; 403 and 200 were seen in the wild
    app_error_status: int = 500  # MX... exceptions; 200 exercises body-Status checking

    latency_seconds: float = 0.0
    read_timeout_seconds: float = 30.0  # how long the hanging faults hold the connection

    lead_score_key: str | None = "LeadScore"  # key in Message for IncludeLeadScore; None = omit

    known_lead_ids: AbstractSet[str] = KNOWN_LEAD_IDS
    # Plain emails map to the default seeded leads (or a derived id); a mapping pins the lead id.
    known_emails: AbstractSet[str] | Mapping[str, str] = KNOWN_EMAILS
    # Benchmarks post to many random leads: treat every id (except the 00000000- prefix) as known.
    accept_unknown_leads: bool = False

    activity_events: AbstractSet[int] | None = None  # None = any positive integer
    field_schema_names: AbstractSet[str] = DEFAULT_FIELD_SCHEMA_NAMES
    max_note_length: int | None = None  # the real limit is undocumented
    reject_future_activity_time: bool = False  # undocumented; some clients clamp defensively

    bulk_max_rows: int = 25
    bulk_omit_failed_rows: bool = False  # drop failed rows from Response entirely
    bulk_row_exception_type: bool = True  # ExceptionType on failed rows is a guess

    def __post_init__(self) -> None:
        for name in ("throttle_status", "app_error_status"):
            status = getattr(self, name)
            if not isinstance(status, int) or not 100 <= status <= 599:
                raise ValueError(f"{name} must be an HTTP status code, got {status!r}")
        for name in ("latency_seconds", "read_timeout_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.bulk_max_rows < 1:
            raise ValueError("bulk_max_rows must be >= 1")
        if self.max_note_length is not None and self.max_note_length < 0:
            raise ValueError("max_note_length must be >= 0")
        if self.lead_score_key == "":
            raise ValueError("lead_score_key must be a non-empty string or None")
        if not self.access_key or not self.secret_key:
            raise ValueError("access_key and secret_key must be non-empty")

    def with_changes(self, **changes: Any) -> "EmulatorConfig":
        """A copy with some fields changed; unknown field names raise TypeError."""
        return replace(self, **changes)

    def limit_for(self, bulk: bool) -> RateLimit | None:
        return self.bulk_rate_limit if bulk else self.rate_limit

    def seeded_leads(self) -> dict[str, str | None]:
        """Lead id -> email (or None) for every lead the tenant starts with."""
        leads: dict[str, str | None] = dict.fromkeys(self.known_lead_ids)
        emails: Mapping[str, str]
        if isinstance(self.known_emails, Mapping):
            emails = self.known_emails
        else:
            emails = {email: _lead_id_for_email(email) for email in self.known_emails}
        for email, lead_id in emails.items():
            leads[lead_id] = email
        return leads


def _lead_id_for_email(email: str) -> str:
    """Stable id for a seeded email, so restarts and resets give the same lead."""
    default = KNOWN_EMAIL_LEADS.get(email.lower())
    if default is not None:
        return default
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email.lower()}"))
