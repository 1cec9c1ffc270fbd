"""LeadSquared access keys from Secrets Manager, cached across invocations."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider


class CredentialsError(Exception):
    """The secret is missing, unreadable or not shaped as {"accessKey", "secretKey"}."""


@dataclass(frozen=True, slots=True)
class ApiKeys:
    # repr=False keeps the values out of any log line or traceback that prints the object.
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        return {"x-LSQ-AccessKey": self.access_key, "x-LSQ-SecretKey": self.secret_key}


# After a 401 the secret is re-read at most this often, so a batch of messages under refused
# keys does not turn into a burst of Secrets Manager calls.
REFRESH_INTERVAL_SECONDS = 60.0


class KeyStore:
    """Reads the secret through Powertools Parameters, which caches it for `max_age` seconds."""

    def __init__(
        self, secret_id: str, max_age: int, provider: SecretsProvider | None = None
    ) -> None:
        self._secret_id = secret_id
        self._max_age = max_age
        self._provider = provider or SecretsProvider()
        self._lock = threading.Lock()
        # Serialises reads, so that a fresh container's delivery threads read the secret
        # once between them rather than once each.
        self._read_lock = threading.Lock()
        self._last_refresh = -REFRESH_INTERVAL_SECONDS
        self._parsed: tuple[Any, ApiKeys] | None = None
        # The keys, and a time before which Powertools' cache of them cannot expire: every
        # call asks for them, and until then Powertools would hand back the same ones.
        self._fresh: tuple[ApiKeys, float] | None = None

    @property
    def secret_id(self) -> str:
        return self._secret_id

    def after_refusal(self, refused: ApiKeys) -> ApiKeys | None:
        """After LeadSquared answered 401 to `refused`: keys worth one more try, or None.

        The keys may have been rotated since they were cached: re-read the secret, bypassing
        the cache, unless that was done moments ago. None means the secret still holds the
        refused keys, so trying again cannot help.
        """
        with self._lock:
            current = self.get()
            if current != refused:
                return current
            if time.monotonic() - self._last_refresh < REFRESH_INTERVAL_SECONDS:
                return None
            self._last_refresh = time.monotonic()
            fresh = self.get(refresh=True)
            return fresh if fresh != refused else None

    def get(self, *, refresh: bool = False) -> ApiKeys:
        """Return the keys; `refresh` bypasses the cache (used after LeadSquared answers 401)."""
        fresh = self._fresh
        if fresh is not None and not refresh and time.monotonic() < fresh[1]:
            return fresh[0]
        asked = time.monotonic()
        try:
            with self._read_lock:
                value: Any = self._provider.get(
                    self._secret_id, max_age=self._max_age, transform="json", force_fetch=refresh
                )
        except Exception as error:
            # The provider's message can quote the secret's content when the JSON is invalid,
            # so only the error's type is passed on.
            raise CredentialsError(
                f"cannot read secret {self._secret_id!r} named by LEADSQUARED_SECRET_ID "
                f"({type(error).__name__})"
            ) from None
        # Powertools hands back the same cached object until it reads the secret again: the
        # same keys object then, so callers can build their headers once per set of keys.
        parsed = self._parsed
        if parsed is None or parsed[0] is not value:
            parsed = (value, _parse_keys(value, self._secret_id))
            self._parsed = parsed
            # Read (or re-read) just now: Powertools keeps it for max_age from about now.
            self._fresh = (parsed[1], asked + self._max_age)
        return parsed[1]


def _parse_keys(value: Any, secret_id: str) -> ApiKeys:
    if not isinstance(value, dict):
        raise CredentialsError(f"secret {secret_id!r} must be a JSON object")
    access_key, secret_key = value.get("accessKey"), value.get("secretKey")
    missing = [
        name
        for name, item in (("accessKey", access_key), ("secretKey", secret_key))
        if not isinstance(item, str) or not item.strip()
    ]
    if missing:
        raise CredentialsError(f"secret {secret_id!r} lacks {' and '.join(missing)}")
    assert isinstance(access_key, str) and isinstance(secret_key, str)
    return ApiKeys(access_key=access_key.strip(), secret_key=secret_key.strip())
