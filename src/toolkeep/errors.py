"""The one error hierarchy.

Every domain error carries a stable ``code`` (part of the public contract of the
REST API, the CLI and the dashboard) and an HTTP ``status``. Edges translate these
once: JSON for the API, an HTML page for the dashboard, an exit code for the CLI.
Messages are written for a person or a model to act on and never contain secrets.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ToolkeepError(Exception):
    """Base class of every expected failure."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error_code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(ToolkeepError):
    code = "invalid_input"
    status = 422


class NotFound(ToolkeepError):
    code = "not_found"
    status = 404


class Conflict(ToolkeepError):
    code = "conflict"
    status = 409


class Unauthenticated(ToolkeepError):
    code = "unauthenticated"
    status = 401


class Forbidden(ToolkeepError):
    code = "forbidden"
    status = 403


class Unavailable(ToolkeepError):
    code = "unavailable"
    status = 503


class ConfigurationError(ToolkeepError):
    """The process cannot start as configured (bad settings, unreadable key files)."""

    code = "configuration_error"
    status = 500
