"""A ``toolkeep.mcp.ports.ToolSource`` over stored tools and a ``ToolRunner``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from toolkeep.mcp.ports import RequestContext, ToolCallOutcome, ToolDescriptor
from toolkeep.sandbox.results import invalid_arguments_outcome, to_outcome
from toolkeep.sandbox.runner import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIMEOUT_S,
    ToolInvocation,
    ToolRunner,
)
from toolkeep.tools.errors import ArgumentsInvalid
from toolkeep.tools.models import Tool
from toolkeep.tools.validation import validate_arguments

log = logging.getLogger("toolkeep.sandbox")

ToolLoader = Callable[[uuid.UUID], Sequence[Tool]]
EnvLoader = Callable[[uuid.UUID], Mapping[str, str]]


class StoreToolSource:
    """Tools as stored, read on every request (a save is live at once), run by ``runner``.

    The loaders are called inline on the event loop, so they must be quick reads (the
    gateway's fast reader). ``load_env`` (the server's decrypted secrets) is called only
    when code is about to run.
    """

    def __init__(
        self,
        load_tools: ToolLoader,
        runner: ToolRunner,
        load_env: EnvLoader,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        self.load_tools = load_tools
        self.runner = runner
        self.load_env = load_env
        self.timeout_s = timeout_s
        self.memory_limit_bytes = memory_limit_bytes

    async def list_tools(self, ctx: RequestContext) -> Sequence[ToolDescriptor]:
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
        try:
            checked = validate_arguments(tool, arguments)
        except ArgumentsInvalid as exc:
            return invalid_arguments_outcome(exc.message)
        invocation = ToolInvocation(
            server_id=ctx.server_id,
            tool_name=tool.name,
            code=tool.code,
            arguments=checked,
            env=self.load_env(ctx.server_id),
            timeout_s=self.timeout_s,
            memory_limit_bytes=self.memory_limit_bytes,
        )
        result = await self.runner.run(invocation)
        if result.error_kind is not None:
            log.info(
                "tool %r of server %s failed (%s) in %.0f ms",
                tool.name,
                ctx.subdomain,
                result.error_kind,
                result.duration_ms,
            )
        return to_outcome(result)
