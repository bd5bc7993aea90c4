"""Era-specific methods and result shapes: ``initialize``, ``server/discover``, method tables."""

from __future__ import annotations

from typing import Any, Final

from toolkeep.mcp.errors import invalid_params
from toolkeep.mcp.methods import COMMON, Call, Handler, logging_set_level, ping
from toolkeep.mcp.stamps import server_info
from toolkeep.mcp.versions import SUPPORTED_VERSIONS, negotiate_legacy

LEGACY_CAPABILITIES: Final[dict[str, Any]] = {
    "tools": {"listChanged": False},
    "resources": {},
    "prompts": {},
    "logging": {},
    "completions": {},
}
MODERN_CAPABILITIES: Final[dict[str, Any]] = {
    "tools": {"listChanged": False},
    "resources": {},
    "prompts": {},
    "completions": {},
}


class InitializeRequest:
    """The validated parts of ``initialize`` params."""

    __slots__ = ("client_name", "client_version", "protocol_version")

    def __init__(self, params: dict[str, Any]) -> None:
        requested = params.get("protocolVersion")
        if type(requested) is not str:
            raise invalid_params("initialize requires params.protocolVersion (a string)")
        capabilities = params.get("capabilities")
        if capabilities is not None and type(capabilities) is not dict:
            raise invalid_params("params.capabilities must be an object")
        info = params.get("clientInfo")
        if info is not None and type(info) is not dict:
            raise invalid_params("params.clientInfo must be an object")
        self.protocol_version = negotiate_legacy(requested)
        self.client_name, self.client_version = client_identity(info)


def client_identity(info: Any) -> tuple[str | None, str | None]:
    """(name, version) from a clientInfo object, keeping only strings, capped at 200 chars."""
    if type(info) is not dict:
        return None, None
    name = info.get("name")
    version = info.get("version")
    return (
        name[:200] if type(name) is str else None,
        version[:200] if type(version) is str else None,
    )


def initialize_result(call: Call, protocol_version: str) -> dict[str, Any]:
    """The InitializeResult."""
    return {
        "protocolVersion": protocol_version,
        "capabilities": LEGACY_CAPABILITIES,
        "serverInfo": server_info(call),
    }


async def server_discover(call: Call) -> dict[str, Any]:
    """``server/discover`` (2026-07-28)."""
    return {"supportedVersions": list(SUPPORTED_VERSIONS), "capabilities": MODERN_CAPABILITIES}


LEGACY_METHODS: Final[dict[str, Handler]] = {
    **COMMON,
    "ping": ping,
    "logging/setLevel": logging_set_level,
}
MODERN_METHODS: Final[dict[str, Handler]] = {**COMMON, "server/discover": server_discover}
