"""A ``toolkeep.mcp.ports.ToolSource`` over stored tools and a ``ToolExecutor``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from toolkeep.mcp.ports import RequestContext, ToolCallOutcome, ToolDescriptor
from toolkeep.sandbox.execution import ToolExecutor
from toolkeep.tools.models import Tool

ToolLoader = Callable[[uuid.UUID], Sequence[Tool]]
DescriptorLoader = Callable[[uuid.UUID], Sequence[ToolDescriptor]]


class StoreToolSource:
    """Tools as stored (a save is live at once), run by ``executor``.

    ``load_tools`` is called inline on the event loop, so it must be a quick read (the
    gateway's version-checked tool cache), and so must ``load_descriptors``, which can serve
    ``tools/list`` from descriptors built once per version.
    """

    def __init__(
        self,
        load_tools: ToolLoader,
        executor: ToolExecutor,
        load_descriptors: DescriptorLoader | None = None,
    ) -> None:
        self.load_tools = load_tools
        self.executor = executor
        self.load_descriptors = load_descriptors

    async def list_tools(self, ctx: RequestContext) -> Sequence[ToolDescriptor]:
        if self.load_descriptors is not None:
            return self.load_descriptors(ctx.server_id)
        return [
            ToolDescriptor(name=t.name, description=t.description, input_schema=t.input_schema())
            for t in self.load_tools(ctx.server_id)
        ]

    async def call_tool(
        self, ctx: RequestContext, name: str, arguments: dict[str, Any]
    ) -> ToolCallOutcome | None:
        """None for an unknown tool; invalid arguments answer 400 without running any code."""
        tool = next((t for t in self.load_tools(ctx.server_id) if t.name == name), None)
        if tool is None:
            return None
        return (await self.executor.execute(tool, arguments)).outcome
