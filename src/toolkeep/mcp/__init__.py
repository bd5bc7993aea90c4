"""Toolkeep's own MCP protocol engine: Streamable HTTP, dual-era, pure ASGI."""

from toolkeep.mcp.endpoint import CTX_KEY, EXCHANGE_KEY, McpEndpoint
from toolkeep.mcp.errors import McpProtocolError
from toolkeep.mcp.headers import same_host_origin
from toolkeep.mcp.listing import ToolListing
from toolkeep.mcp.ports import (
    Exchange,
    RequestContext,
    Session,
    SessionStore,
    ToolCallOutcome,
    ToolDescriptor,
    ToolSource,
)
from toolkeep.mcp.sessions import MemorySessionStore, new_session_id
from toolkeep.mcp.versions import SUPPORTED_VERSIONS

__all__ = [
    "CTX_KEY",
    "EXCHANGE_KEY",
    "SUPPORTED_VERSIONS",
    "Exchange",
    "McpEndpoint",
    "McpProtocolError",
    "MemorySessionStore",
    "RequestContext",
    "Session",
    "SessionStore",
    "ToolCallOutcome",
    "ToolDescriptor",
    "ToolListing",
    "ToolSource",
    "new_session_id",
    "same_host_origin",
]
