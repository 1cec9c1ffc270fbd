"""What a container builds once and reuses across invocations: settings, keys, HTTP pool."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from activity_poster.credentials import KeyStore
from activity_poster.delivery import ActivityPoster
from activity_poster.leadsquared.client import LeadSquaredClient
from activity_poster.settings import Settings


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    poster: ActivityPoster


@functools.cache
def get_runtime() -> Runtime:
    """Built on first use, so a configuration error is reported by the invocation that hit it."""
    settings = Settings.from_env()
    client = LeadSquaredClient(
        settings.create_activity_url,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
    )
    keys = KeyStore(settings.secret_id, max_age=settings.secret_max_age)
    return Runtime(settings=settings, poster=ActivityPoster(client, keys))
