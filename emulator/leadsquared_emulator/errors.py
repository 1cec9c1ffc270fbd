"""LeadSquared's error vocabulary: MX exception types raised by request validation."""

from typing import Final

MANDATORY_MISSING: Final = "MXMandatoryAttributeMissingException"
INVALID_INPUT: Final = "MXInvalidInputException"
INVALID_ENTITY: Final = "MXInvalidEntityException"
UNKNOWN_ATTRIBUTE: Final = "MXUnknownAttributeException"
INVALID_USER: Final = "MXInvalidUserDetailsException"
RATE_LIMIT_EXCEEDED: Final = "MXAPIRateLimitExceededException"

LEAD_NOT_FOUND_MESSAGE: Final = "Lead does not exist in the system"


class MXError(Exception):
    """An application error; `status` None means "the configured app_error_status"."""

    def __init__(self, exception_type: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{exception_type}: {message}")
        self.exception_type = exception_type
        self.message = message
        self.status = status


def invalid_parameter(name: str) -> MXError:
    return MXError(INVALID_INPUT, f"Invalid Input! Parameter Name: {name}")


def mandatory(name: str) -> MXError:
    return MXError(MANDATORY_MISSING, f"'{name}' is mandatory")


def bad_request(message: str) -> MXError:
    """Malformed request (not JSON, wrong shape or content type): HTTP 400 whatever the config."""
    return MXError(INVALID_INPUT, message, status=400)
