"""The fields every 2026-07-28 result carries, and ``serverInfo``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from toolkeep.mcp.versions import SERVER_INFO_KEY

if TYPE_CHECKING:
    from toolkeep.mcp.methods import Call

# 2026-07-28 results that carry caching directives.
CACHEABLE: Final = frozenset(
    {
        "tools/list",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "prompts/list",
        "server/discover",
    }
)


def server_info(call: Call) -> dict[str, str]:
    """``serverInfo`` / ``io.modelcontextprotocol/serverInfo``."""
    return {"name": call.ctx.server_name, "version": call.server_version}


def stamp_modern(method: str, result: dict[str, Any], call: Call) -> dict[str, Any]:
    """Add the fields every 2026-07-28 result carries."""
    result["resultType"] = "complete"
    if method in CACHEABLE:
        result["ttlMs"] = 0
        result["cacheScope"] = "private"
    meta = result.get("_meta")
    stamp = {SERVER_INFO_KEY: server_info(call)}
    result["_meta"] = {**meta, **stamp} if type(meta) is dict else stamp
    return result
