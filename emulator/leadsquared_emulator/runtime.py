"""Everything a request handler needs, shared by the HTTP server and the Emulator facade."""

import threading
from collections.abc import Callable
from typing import Any

from .api import LeadSquaredApi
from .config import EmulatorConfig
from .faults import FaultPlan
from .models import Received
from .state import TenantState

RequestHook = Callable[[Received], None]


class Runtime:
    """Current config plus tenant state, fault plan and the stop signal hung handlers wait on."""

    def __init__(self, config: EmulatorConfig, on_request: RequestHook | None = None) -> None:
        self._lock = threading.Lock()
        self._config = config
        self.state = TenantState(config)
        self.faults = FaultPlan()
        self.api = LeadSquaredApi(self.state)
        self.stopping = threading.Event()
        self.on_request = on_request

    @property
    def config(self) -> EmulatorConfig:
        """A consistent snapshot; each request reads it once at arrival."""
        with self._lock:
            return self._config

    def configure(self, **changes: Any) -> EmulatorConfig:
        with self._lock:
            old = self._config
            self._config = new = old.with_changes(**changes)
        if new.known_lead_ids != old.known_lead_ids or new.known_emails != old.known_emails:
            self.state.seed(new)
        return new

    def reset(self) -> None:
        self.faults.clear()
        self.state.reset(self.config)

    def pause(self, seconds: float) -> bool:
        """Sleep unless the emulator stops first; True if it is stopping."""
        return self.stopping.wait(seconds) if seconds > 0 else self.stopping.is_set()
