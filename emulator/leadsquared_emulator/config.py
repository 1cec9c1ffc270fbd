"""Emulator settings.

Everything LeadSquared leaves undocumented (throttle status, score key, bulk row shape, ...)
is a field here, so tests can pin each guess explicitly instead of the emulator betting on one.
"""

import re
import uuid
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Self

from .schema import DEFAULT_ACTIVITY_TYPES, ActivityTypeSpec

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


class _Choice(StrEnum):
    """A switch with named values; parses the value or member name in any case."""

    @classmethod
    def parse(cls, text: str) -> Self:
        wanted = str(text).strip().lower()
        for member in cls:
            if wanted in (member.value, member.name.lower()):
                return member
        values = ", ".join(member.value for member in cls)
        raise ValueError(f"unknown {cls.__name__} {text!r}; expected one of {values}")


class RetrieveShape(_Choice):
    """Where `ProspectActivity.svc/Retrieve` puts an activity's note and date.

    LeadSquared documents `CreatedOn` and a `Data` key-value bag, but not which keys carry the
    note nor whether `CreatedOn` is the posted `ActivityDateTime`: the default is the best
    guess, each other value one of the alternatives.
    """

    # CreatedOn = the posted ActivityDateTime (else the commit time); the note in Data under
    # both ActivityEvent_Note and NotableEventDescription.
    DEFAULT = "default"
    NOTE_IN_ACTIVITY_EVENT_NOTE = "note_in_activity_event_note"  # only Data.ActivityEvent_Note
    NOTE_IN_NOTABLE_EVENT_DESCRIPTION = "note_in_notable_event_description"  # only that key
    NOTE_AT_TOP_LEVEL = "note_at_top_level"  # only a top-level ActivityNote key, not in Data
    CREATED_ON_IS_SERVER_TIME = "created_on_is_server_time"  # CreatedOn = commit time
    NO_NOTE = "no_note"  # the note is nowhere in the answer

    @property
    def note_data_keys(self) -> tuple[str, ...]:
        """The `Data` keys that carry the note."""
        match self:
            case RetrieveShape.DEFAULT | RetrieveShape.CREATED_ON_IS_SERVER_TIME:
                return ("ActivityEvent_Note", "NotableEventDescription")
            case RetrieveShape.NOTE_IN_ACTIVITY_EVENT_NOTE:
                return ("ActivityEvent_Note",)
            case RetrieveShape.NOTE_IN_NOTABLE_EVENT_DESCRIPTION:
                return ("NotableEventDescription",)
            case _:
                return ()


class BulkAnswerShape(_Choice):
    """How `Bulk/CustomActivity/Add/ByLeadId` reports its rows (rows are committed alike)."""

    # {"Response": [{"ProspectActivityId", "RowNumber", "ActivityCreated"[, "ExceptionType",
    # "ExceptionMessage"]}]}, one row per submitted activity, in request order.
    FULL = "full"
    ID_ONLY = "id_only"  # no ActivityCreated; failed rows carry the exception and no id
    NO_ROW_NUMBER = "no_row_number"  # rows in request order without RowNumber
    MISSING_ROWS = "missing_rows"  # as full, but the answer's last row is left out
    COUNT_ONLY = "count_only"  # {"Status": "Success", "Message": {"Count": <rows created>}}


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
    trickle_interval_seconds: float = 0.2  # between the bytes of a TRICKLE answer
    huge_answer_bytes: int = 50 * 1024 * 1024  # the body of a HUGE_ANSWER

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
    # Settable as the value text too, e.g. configure(bulk_answer_shape="count_only").
    bulk_answer_shape: BulkAnswerShape = BulkAnswerShape.FULL

    retrieve_shape: RetrieveShape = RetrieveShape.DEFAULT  # or its value text, as above

    # The API host UserByAccessKey.Get names in LSQCommonServiceURLs; None = the emulator's
    # own base URL as the client reached it (e.g. http://127.0.0.1:8701). The real service
    # names a bare host (api-in21.leadsquared.com); set one to exercise that form.
    home_api_host: str | None = None
    # This is not the tenant's regional host: every endpoint except UserByAccessKey.Get
    # answers 401, whatever the keys.
    wrong_host: bool = False

    redirect_location: str = "http://127.0.0.1:9/"  # Location of the REDIRECT_302 fault

    # The tenant's activity types (schema.py): listed by ActivityTypes.Get, and what Create and
    # each bulk row refuse for them (unknown field, missing mandatory field, option, length,
    # data type). Event codes unique. schema_checks=False: no type is checked, every code takes
    # any field of field_schema_names (the lax behaviour of old).
    activity_types: Sequence[ActivityTypeSpec] = DEFAULT_ACTIVITY_TYPES
    schema_checks: bool = True
    # A code not among activity_types is taken as a free-text type with field_schema_names, so
    # that any code posts out of the box; False refuses it, as the real API does.
    accept_undeclared_events: bool = True

    def __post_init__(self) -> None:
        # Accept the values' text (from configure(), the CLI or JSON) and store the members.
        object.__setattr__(self, "retrieve_shape", RetrieveShape.parse(self.retrieve_shape))
        object.__setattr__(self, "bulk_answer_shape", BulkAnswerShape.parse(self.bulk_answer_shape))
        for name in ("throttle_status", "app_error_status"):
            status = getattr(self, name)
            if not isinstance(status, int) or not 100 <= status <= 599:
                raise ValueError(f"{name} must be an HTTP status code, got {status!r}")
        for name in ("latency_seconds", "read_timeout_seconds", "trickle_interval_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        size = self.huge_answer_bytes
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"huge_answer_bytes must be an integer >= 0, got {size!r}")
        if self.bulk_max_rows < 1:
            raise ValueError("bulk_max_rows must be >= 1")
        if self.max_note_length is not None and self.max_note_length < 0:
            raise ValueError("max_note_length must be >= 0")
        if self.lead_score_key == "":
            raise ValueError("lead_score_key must be a non-empty string or None")
        if not self.access_key or not self.secret_key:
            raise ValueError("access_key and secret_key must be non-empty")
        if self.home_api_host is not None and not self.home_api_host.strip():
            raise ValueError("home_api_host must be a non-empty string or None")
        if not self.redirect_location.strip():
            raise ValueError("redirect_location must be non-empty")

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
