"""The engine's boundary: what it is given (context, tools, sessions) and what it reports."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol


class RequestContext(NamedTuple):
    """Facts the auth layer established before the engine runs (``scope["toolkeep.ctx"]``).

    Immutable; a NamedTuple rather than a frozen dataclass because one is built per request
    (0.5 us against 1.5 us)."""

    server_id: uuid.UUID
    server_name: str
    subdomain: str
    kid: str | None
    client_ip: str | None
    request_id: str
    # The session named by Mcp-Session-Id as read together with the key, if the auth layer
    # read it: (that id, the live session of this server or None). The engine then uses it
    # instead of asking the SessionStore.
    known_session: tuple[str, Session | None] | None = None


@dataclass(frozen=True, slots=True)
class ToolDescriptor:
    """One tool as ``tools/list`` serves it."""

    name: str
    description: str
    input_schema: Mapping[str, Any]
    title: str | None = None
    annotations: Mapping[str, Any] | None = None
    output_schema: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ToolCallOutcome:
    """What the tool runtime returns, already MCP-shaped."""

    content: list[dict[str, Any]]
    structured_content: Any | None = None
    is_error: bool = False
    status: int = 200


class ToolSource(Protocol):
    """The hosted server's tools (store-backed catalog plus sandbox in production)."""

    async def list_tools(self, ctx: RequestContext) -> Sequence[ToolDescriptor]: ...

    async def call_tool(
        self, ctx: RequestContext, name: str, arguments: dict[str, Any]
    ) -> ToolCallOutcome | None: ...


@dataclass(frozen=True, slots=True)
class Session:
    """A legacy-era MCP session minted by ``initialize``."""

    id: str
    server_id: uuid.UUID
    kid: str | None
    protocol_version: str
    client_name: str | None
    client_version: str | None


class SessionStore(Protocol):
    """Where sessions live; the production one is shared by every replica."""

    async def create(
        self,
        ctx: RequestContext,
        protocol_version: str,
        client_name: str | None,
        client_version: str | None,
    ) -> Session: ...

    async def get(self, session_id: str) -> Session | None: ...

    async def end(self, session_id: str) -> bool: ...


@dataclass(slots=True)
class Exchange:
    """One request's facts for the traffic log (never tool arguments or results)."""

    method: str | None = None
    tool: str | None = None
    status: int = 200
    session_id: str | None = None
    error_code: int | None = None
    client_name: str | None = None
    client_version: str | None = None
