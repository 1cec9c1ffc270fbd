"""Failure modes a client of LeadSquared has to survive, and when to produce them."""

import random
import threading
from collections import deque
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Self


class Fault(StrEnum):
    """One way a single request can go wrong."""

    # What each one does: `description` below (also printed by the CLI's --help).
    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_503 = "http_503"
    NON_JSON_500 = "non_json_500"
    STATUS_ERROR_200 = "status_error_200"
    THROTTLE = "throttle"
    READ_TIMEOUT = "read_timeout"
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
    DROP_CONNECTION = "drop_connection"
    DROP_AFTER_COMMIT = "drop_after_commit"
    # What a wrong path, verb or scheme gets from a real host (misconfigured clients).
    HTML_404 = "html_404"
    METHOD_NOT_ALLOWED_405 = "method_not_allowed_405"
    REDIRECT_302 = "redirect_302"
    # Answers no client should wait for to the end, or hold whole.
    TRICKLE = "trickle"
    HUGE_ANSWER = "huge_answer"
    GZIP_BOMB = "gzip_bomb"

    @classmethod
    def parse(cls, text: str) -> Self:
        """Accept the member name or value in any case (`HTTP_500`, `http_500`)."""
        wanted = text.strip().lower()
        for member in cls:
            if wanted in (member.value, member.name.lower()):
                return member
        names = ", ".join(member.name for member in cls)
        raise ValueError(f"unknown fault {text!r}; expected one of {names}")

    @property
    def hangs(self) -> bool:
        return self in (Fault.READ_TIMEOUT, Fault.TIMEOUT_AFTER_COMMIT)

    @property
    def answers(self) -> bool:
        """Whether the client receives any HTTP response at all."""
        return not self.hangs and self not in (Fault.DROP_CONNECTION, Fault.DROP_AFTER_COMMIT)

    @property
    def reaches_api(self) -> bool:
        """Whether the request is still processed behind the fault (validated, committed)."""
        return self in (Fault.TIMEOUT_AFTER_COMMIT, Fault.DROP_AFTER_COMMIT, Fault.TRICKLE)

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS: Final[Mapping[Fault, str]] = MappingProxyType(
    {
        Fault.HTTP_500: "JSON 500 without an MX exception type (platform fault)",
        Fault.HTTP_502: "502 from the gateway, HTML body",
        Fault.HTTP_503: "503 from the gateway, HTML body",
        Fault.NON_JSON_500: "500 with an HTML body",
        Fault.STATUS_ERROR_200: "HTTP 200 whose body says Status: Error",
        Fault.THROTTLE: "the throttled answer, whatever the rate window says",
        Fault.READ_TIMEOUT: "hang without committing, then close",
        Fault.TIMEOUT_AFTER_COMMIT: "commit, then hang and close unanswered",
        Fault.DROP_CONNECTION: "close without any answer, nothing committed",
        Fault.DROP_AFTER_COMMIT: "commit (all rows of a bulk call), then close unanswered",
        Fault.HTML_404: "404 with an HTML page, as for a wrong path",
        Fault.METHOD_NOT_ALLOWED_405: "405 with an HTML page and Allow, as for a wrong verb",
        Fault.REDIRECT_302: "302 to --redirect-location (redirect_location), nothing committed",
        Fault.TRICKLE: "commit, then send the answer a byte per --trickle-interval seconds",
        Fault.HUGE_ANSWER: "200, a success-shaped body of --huge-answer-bytes; nothing committed",
        Fault.GZIP_BOMB: "200 gzip whatever was asked: ~1 MB inflating to ~1 GB; nothing committed",
    }
)


class FaultPlan:
    """Chooses the fault for each request: queued faults first (FIFO), then random draws.

    Draws happen under a lock in arrival order, so a fixed seed gives a repeatable sequence
    for a sequential client.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self._rates: tuple[tuple[Fault, float], ...] = ()
        self._rng = random.Random()  # noqa: S311 - fault sampling, not security

    def inject(self, fault: Fault, times: int = 1) -> None:
        if times < 0:
            raise ValueError("times must be >= 0")
        with self._lock:
            self._queue.extend([Fault(fault)] * times)

    def set_rates(self, rates: Mapping[Fault, float], seed: int | None = None) -> None:
        """Each request independently gets fault F with probability rates[F]."""
        cleaned = tuple((Fault(fault), float(rate)) for fault, rate in rates.items() if rate)
        if any(not 0.0 <= rate <= 1.0 for _, rate in cleaned):
            raise ValueError("fault rates must be between 0 and 1")
        if sum(rate for _, rate in cleaned) > 1.0 + 1e-9:
            raise ValueError("fault rates must add up to at most 1")
        with self._lock:
            self._rates = cleaned
            self._rng = random.Random(seed)  # noqa: S311 - fault sampling, not security

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._rates = ()

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._queue)

    @property
    def rates(self) -> dict[Fault, float]:
        with self._lock:
            return dict(self._rates)

    def next(self) -> Fault | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if not self._rates:
                return None
            draw = self._rng.random()
            threshold = 0.0
            for fault, rate in self._rates:
                threshold += rate
                if draw < threshold:
                    return fault
            return None
