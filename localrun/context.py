"""A stand-in for the Lambda context object, with a real deadline."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import cast

from aws_lambda_powertools.utilities.typing import LambdaContext


@dataclass
class LocalLambdaContext:
    function_name: str = "leadsquared-activity-poster"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    timeout_seconds: float = 30.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/leadsquared-activity-poster"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))

    def as_lambda_context(self) -> LambdaContext:
        """The same object, typed as what the handler expects (it has every attribute used)."""
        return cast(LambdaContext, self)
