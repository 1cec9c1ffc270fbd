"""A local stand-in for LeadSquared's activity API, for tests, local runs and benchmarks."""

from .config import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_FIELD_SCHEMA_NAMES,
    DEFAULT_SECRET_KEY,
    KNOWN_EMAIL_LEADS,
    KNOWN_EMAILS,
    KNOWN_LEAD_IDS,
    PRIMARY_EMAIL,
    PRIMARY_LEAD_ID,
    SECONDARY_LEAD_ID,
    UNKNOWN_LEAD_PREFIX,
    BulkAnswerShape,
    EmulatorConfig,
    RateLimit,
    RetrieveShape,
)
from .faults import Fault
from .models import CreatedActivity, Headers, Lead, Received
from .schema import (
    DEFAULT_ACTIVITY_TYPES,
    ORDER_EVENT,
    WEBINAR_EVENT,
    ActivityTypeSpec,
    FieldSpec,
)
from .server import Emulator

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_ACTIVITY_TYPES",
    "DEFAULT_FIELD_SCHEMA_NAMES",
    "DEFAULT_SECRET_KEY",
    "KNOWN_EMAILS",
    "KNOWN_EMAIL_LEADS",
    "KNOWN_LEAD_IDS",
    "ORDER_EVENT",
    "PRIMARY_EMAIL",
    "PRIMARY_LEAD_ID",
    "SECONDARY_LEAD_ID",
    "UNKNOWN_LEAD_PREFIX",
    "WEBINAR_EVENT",
    "ActivityTypeSpec",
    "BulkAnswerShape",
    "CreatedActivity",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "FieldSpec",
    "Headers",
    "Lead",
    "RateLimit",
    "Received",
    "RetrieveShape",
]
