"""The Powertools logger shared by every module (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="leadsquared-activity-poster")
