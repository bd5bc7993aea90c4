"""JSON-RPC / MCP error codes and the engine's internal protocol error."""

from __future__ import annotations

from typing import Any, Final

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
RESOURCE_NOT_FOUND: Final = -32002  # legacy era; 2026-07-28 uses INVALID_PARAMS
HEADER_MISMATCH: Final = -32020
MISSING_CLIENT_CAPABILITY: Final = -32021
UNSUPPORTED_PROTOCOL_VERSION: Final = -32022

# HTTP status of a JSON-RPC error in the 2026-07-28 era (unlisted codes: 200).
MODERN_ERROR_STATUS: Final[dict[int, int]] = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    MISSING_CLIENT_CAPABILITY: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
    METHOD_NOT_FOUND: 404,
}


class McpProtocolError(Exception):
    """A request the engine refuses, answered as a JSON-RPC error.

    ``http_status`` None means "in band": HTTP 200 in the legacy era, the
    ``MODERN_ERROR_STATUS`` mapping in the 2026-07-28 era. ``request_id`` is
    echoed in the response when the request's id was known.
    """

    def __init__(
        self,
        http_status: int | None,
        code: int,
        message: str,
        data: Any = None,
        *,
        request_id: str | int | float | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.data = data
        self.request_id = request_id


def invalid_params(message: str, data: Any = None) -> McpProtocolError:
    """An in-band -32602."""
    return McpProtocolError(None, INVALID_PARAMS, message, data)


def invalid_request(message: str, http_status: int = 400) -> McpProtocolError:
    """A -32600 answered with ``http_status``."""
    return McpProtocolError(http_status, INVALID_REQUEST, message)


def header_mismatch(message: str) -> McpProtocolError:
    """A 400 -32020 HeaderMismatch."""
    return McpProtocolError(400, HEADER_MISMATCH, message)
