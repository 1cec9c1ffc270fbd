"""LeadSquared access keys from Secrets Manager, cached by Powertools across invocations."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

# After a 401 the secret is re-read at most this often, so a batch of messages under refused
# keys does not turn into a burst of Secrets Manager calls.
REFRESH_INTERVAL_SECONDS = 60.0
_NAMES = ("accessKey", "secretKey")
# What a header value cannot carry (http.client would refuse it, quoting it in the error).
_FLAWS = (
    (re.compile(r"[\x00-\x1f\x7f]"), "contains a control character"),
    (re.compile(r"[^\x00-\xff]"), "contains a character outside Latin-1"),
)


class CredentialsError(Exception):
    """The secret is unreadable or not {"accessKey", "secretKey"} fit for a header; no value."""


@dataclass(frozen=True, slots=True)
class ApiKeys:
    # repr=False keeps the values out of any log line or traceback that prints the object.
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        return {"x-LSQ-AccessKey": self.access_key, "x-LSQ-SecretKey": self.secret_key}


class KeyStore:
    """Reads the secret through Powertools Parameters, which caches it for `max_age` seconds."""

    def __init__(
        self, secret_id: str, max_age: int, provider: SecretsProvider | None = None
    ) -> None:
        self._secret_id, self._max_age = secret_id, max_age
        self._provider = provider or SecretsProvider()
        # Serialises reads: a fresh container's threads read the secret once, not once each.
        self._lock = threading.RLock()
        self._last_refresh = -REFRESH_INTERVAL_SECONDS

    @property
    def secret_id(self) -> str:
        return self._secret_id

    def get(self, *, refresh: bool = False) -> ApiKeys:
        """Return the keys; `refresh` bypasses the cache (used after LeadSquared answers 401)."""
        with self._lock:
            try:
                value = self._provider.get(
                    self._secret_id, max_age=self._max_age, transform="json", force_fetch=refresh
                )
            except Exception as error:
                # The provider's message can quote the secret when its JSON is invalid: type only.
                raise CredentialsError(
                    f"cannot read secret {self._secret_id!r} named by LEADSQUARED_SECRET_ID "
                    f"({type(error).__name__})"
                ) from None
        return _parse_keys(value, self._secret_id)

    def after_refusal(self, refused: ApiKeys) -> ApiKeys | None:
        """After a 401 to `refused`: keys worth one more try, or None when the secret, re-read
        past the cache (at most once per REFRESH_INTERVAL_SECONDS), still holds them."""
        with self._lock:
            if (current := self.get()) != refused:
                return current
            if time.monotonic() - self._last_refresh < REFRESH_INTERVAL_SECONDS:
                return None
            self._last_refresh = time.monotonic()
            fresh = self.get(refresh=True)
            return fresh if fresh != refused else None


def _parse_keys(value: Any, secret_id: str) -> ApiKeys:
    if not isinstance(value, dict):
        raise CredentialsError(f"secret {secret_id!r} must be a JSON object")
    keys = {n: k.strip() if isinstance(k := value.get(n), str) else "" for n in _NAMES}
    if missing := [name for name, key in keys.items() if not key]:
        raise CredentialsError(f"secret {secret_id!r} lacks {' and '.join(missing)}")
    if flaws := [f"{n} {flaw}" for n, k in keys.items() for bad, flaw in _FLAWS if bad.search(k)]:
        raise CredentialsError(f"secret {secret_id!r}: {'; '.join(flaws)}")
    return ApiKeys(access_key=keys["accessKey"], secret_key=keys["secretKey"])
