"""The hosted server's tools as the engine sees them: read per request, never cached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from toolkeep.gateway.repository import GatewayRepository, ToolRow
from toolkeep.mcp import RequestContext, ToolCallOutcome, ToolDescriptor

ToolCaller = Callable[[RequestContext, ToolRow, dict[str, Any]], Awaitable[ToolCallOutcome]]
SchemaOf = Callable[[Sequence[Mapping[str, Any]]], Mapping[str, Any]]


class CatalogToolSource:
    """Implements ``toolkeep.mcp.ports.ToolSource`` over the store and a tool caller."""

    def __init__(self, repo: GatewayRepository, schema_of: SchemaOf, call: ToolCaller) -> None:
        self.repo = repo
        self.schema_of = schema_of
        self.call = call

    async def list_tools(self, ctx: RequestContext) -> Sequence[ToolDescriptor]:
        return [
            ToolDescriptor(row.name, row.description, self.schema_of(row.parameters))
            for row in self.repo.tools(ctx.server_id)
        ]

    async def call_tool(
        self, ctx: RequestContext, name: str, arguments: dict[str, Any]
    ) -> ToolCallOutcome | None:
        row = self.repo.tool(ctx.server_id, name)
        if row is None:
            return None
        return await self.call(ctx, row, arguments)
