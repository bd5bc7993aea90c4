"""2026-07-28 (stateless) era: recognising it and validating the per-request envelope."""

from __future__ import annotations

from typing import Any, Final

from toolkeep.mcp.errors import (
    INVALID_PARAMS,
    UNSUPPORTED_PROTOCOL_VERSION,
    McpProtocolError,
    header_mismatch,
)
from toolkeep.mcp.headers import RequestHeaders, as_text, decode_header_value
from toolkeep.mcp.jsonrpc import Incoming
from toolkeep.mcp.lifecycle import client_identity
from toolkeep.mcp.versions import (
    CLIENT_CAPABILITIES_KEY,
    CLIENT_INFO_KEY,
    MODERN_VERSIONS,
    PROTOCOL_VERSION_KEY,
    SUPPORTED_VERSIONS,
)

# Methods whose Mcp-Name header mirrors a params field.
NAME_BEARING: Final = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


def is_modern(msg: Incoming, headers: RequestHeaders) -> bool:
    """A session-less message carrying the 2026-07-28 envelope or header."""
    if headers.session_id is not None:
        return False
    meta = msg.params.get("_meta")
    if type(meta) is dict and PROTOCOL_VERSION_KEY in meta:
        return True
    return headers.protocol_version is not None and (
        as_text(headers.protocol_version) in MODERN_VERSIONS
    )


def unsupported_version(requested: Any) -> McpProtocolError:
    """400 -32022 naming what we speak."""
    return McpProtocolError(
        400,
        UNSUPPORTED_PROTOCOL_VERSION,
        "Unsupported protocol version",
        {"supported": list(SUPPORTED_VERSIONS), "requested": requested},
    )


def check_envelope(msg: Incoming, headers: RequestHeaders) -> tuple[str | None, str | None]:
    """Validate ``_meta`` and the mirrored headers; return the client's (name, version)."""
    meta = msg.params.get("_meta")
    if type(meta) is not dict:
        raise McpProtocolError(
            400,
            INVALID_PARAMS,
            f"params._meta must be an object carrying {PROTOCOL_VERSION_KEY!r} "
            f"and {CLIENT_CAPABILITIES_KEY!r}",
        )
    if PROTOCOL_VERSION_KEY not in meta or CLIENT_CAPABILITIES_KEY not in meta:
        missing = [
            key for key in (PROTOCOL_VERSION_KEY, CLIENT_CAPABILITIES_KEY) if key not in meta
        ]
        raise McpProtocolError(
            400, INVALID_PARAMS, "params._meta is missing: " + ", ".join(missing)
        )
    if type(meta[CLIENT_CAPABILITIES_KEY]) is not dict:
        raise McpProtocolError(400, INVALID_PARAMS, f"{CLIENT_CAPABILITIES_KEY} must be an object")
    version = meta[PROTOCOL_VERSION_KEY]
    check_headers(msg, headers, version)
    if type(version) is not str:
        raise McpProtocolError(400, INVALID_PARAMS, f"{PROTOCOL_VERSION_KEY} must be a string")
    if version not in MODERN_VERSIONS:
        raise unsupported_version(version)
    return client_identity(meta.get(CLIENT_INFO_KEY))


def check_headers(msg: Incoming, headers: RequestHeaders, version: Any) -> None:
    """MCP-Protocol-Version, Mcp-Method and Mcp-Name must mirror the body (400 -32020)."""
    if headers.duplicated is not None:
        name = headers.duplicated.decode("latin-1")
        raise header_mismatch(f"The {name} header appears more than once")
    if as_text(headers.protocol_version) != version:
        raise header_mismatch(
            f"MCP-Protocol-Version header is required and must equal params._meta"
            f"[{PROTOCOL_VERSION_KEY!r}]"
        )
    if as_text(headers.mcp_method) != msg.method:
        raise header_mismatch("Mcp-Method header is required and must equal the body's method")
    key = NAME_BEARING.get(msg.method or "")
    if key is None:
        return
    expected = msg.params.get(key)
    if expected is None:
        return
    raw = as_text(headers.mcp_name)
    if raw is None or decode_header_value(raw) != expected:
        raise header_mismatch(f"Mcp-Name header is required and must equal params.{key}")


def check_notification(headers: RequestHeaders) -> None:
    """A 2026-07-28 notification is acknowledged if its version header is one we speak."""
    version = as_text(headers.protocol_version)
    if version is not None and version not in MODERN_VERSIONS:
        raise unsupported_version(version)
