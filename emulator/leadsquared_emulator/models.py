"""Records the emulator keeps, as immutable snapshots handed to tests."""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

from .faults import Fault


class Headers(Mapping[str, str]):
    """Request headers with case-insensitive lookup; names are stored lower-cased."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        merged: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        self._items = merged

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        """Key headers are masked so assertion output and logs never show credentials."""
        shown = {k: "***" if k.startswith("x-lsq-") else v for k, v in self._items.items()}
        return f"Headers({shown!r})"


@dataclass(frozen=True, slots=True)
class Received:
    """One request as it arrived, and how it was answered.

    `status` is None when no response was sent (dropped or hung connection), or not sent
    whole (the client hung up during a TRICKLE or HUGE_ANSWER answer).
    `time` is `time.monotonic()` at arrival.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    body: bytes
    json: Any
    status: int | None
    time: float
    target: str = ""  # the raw request-target, query string included
    fault: Fault | None = None
    client_port: int | None = None  # same port on several requests = a reused connection

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def url_contains(self, text: str) -> bool:
        """Whether `text` appears in the request URL, raw or percent-decoded."""
        if not text:
            return False
        candidates = (self.target, unquote(self.target), unquote_plus(self.target))
        return any(text in candidate for candidate in candidates) or (
            quote(text, safe="") in self.target
        )


@dataclass(frozen=True, slots=True)
class CreatedActivity:
    """An activity the emulated tenant committed (what a reconciling client would find)."""

    activity_id: str
    lead_id: str
    body: dict[str, Any]
    created_at: float  # time.monotonic() at commit
    activity_event: int = 0
    bulk: bool = False
    created_on: str = ""  # UTC "YYYY-MM-DD HH:MM:SS": the ActivityDateTime sent, else commit time
    stored_on: str = ""  # UTC "YYYY-MM-DD HH:MM:SS": when the emulator committed it


@dataclass(frozen=True, slots=True)
class Lead:
    lead_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    activity_count: int = 0
    created_by_api: bool = False  # auto-created by the email variant of Create

    @property
    def score(self) -> int:
        """Deterministic stand-in for LeadSquared's lead score."""
        return self.activity_count * 10
