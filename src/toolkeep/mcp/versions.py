"""Protocol revisions the engine speaks, and the ``_meta`` keys of the 2026-07-28 envelope."""

from __future__ import annotations

from typing import Final

LEGACY_VERSIONS: Final = frozenset({"2025-03-26", "2025-06-18", "2025-11-25"})
MODERN_VERSIONS: Final = frozenset({"2026-07-28"})
LATEST_LEGACY: Final = "2025-11-25"
SUPPORTED_VERSIONS: Final[tuple[str, ...]] = (
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    "2026-07-28",
)

PROTOCOL_VERSION_KEY: Final = "io.modelcontextprotocol/protocolVersion"
CLIENT_CAPABILITIES_KEY: Final = "io.modelcontextprotocol/clientCapabilities"
CLIENT_INFO_KEY: Final = "io.modelcontextprotocol/clientInfo"
SERVER_INFO_KEY: Final = "io.modelcontextprotocol/serverInfo"


def negotiate_legacy(requested: str) -> str:
    """The version an ``initialize`` answer carries: the client's if spoken, else our latest."""
    return requested if requested in LEGACY_VERSIONS else LATEST_LEGACY
