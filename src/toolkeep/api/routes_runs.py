"""``POST /servers/{subdomain}/tools/{name}/run``: the owner's test run of a tool.

Runs exactly like an MCP ``tools/call`` (same validation, sandbox, limits and env), returns
the result with the console lines and the duration, and is logged in the traffic log as
method ``tools/run``. Secret values are redacted from everything this returns.
"""

from __future__ import annotations

import time
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from toolkeep.api.deps import Ctx, CurrentActor
from toolkeep.errors import Unavailable
from toolkeep.gateway.runtime import McpRuntime
from toolkeep.traffic.models import TrafficEntry

router = APIRouter(prefix="/servers/{subdomain}/tools/{name}/run", tags=["tools"])


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arguments: dict[str, Any] = Field(default_factory=dict)


class RunOut(BaseModel):
    content: list[dict[str, Any]]
    structured_content: Any | None = Field(default=None, serialization_alias="structuredContent")
    is_error: bool = Field(serialization_alias="isError")
    status: int = Field(description="As in the traffic log: 200, 400 bad arguments, 500, 504…")
    console: list[str]
    duration_ms: float


@router.post("", response_model=RunOut, response_model_by_alias=True)
async def run_tool(
    subdomain: str, name: str, ctx: Ctx, actor: CurrentActor, request: Request,
    body: RunIn | None = None,
) -> RunOut:  # fmt: skip
    """Run the tool with ``arguments`` and return its result, console lines and duration."""
    started = time.perf_counter()
    tool = await anyio.to_thread.run_sync(ctx.tools.get, actor, subdomain, name)
    runtime: McpRuntime = request.state.mcp
    if runtime.executor is None:
        raise Unavailable("The tool runtime is not running in this process.")
    execution = await runtime.executor.execute(tool, (body or RunIn()).arguments)
    outcome = execution.redacted_outcome()
    runtime.usage.traffic(
        TrafficEntry(
            at=ctx.clock(), server_id=tool.server_id, http_status=outcome.status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3), method="tools/run",
            tool=tool.name, client_ip=actor.ip, client=f"api:{actor.name}",
        )
    )  # fmt: skip
    return RunOut(
        content=outcome.content,
        structured_content=outcome.structured_content,
        is_error=outcome.is_error,
        status=outcome.status,
        console=list(execution.console),
        duration_ms=execution.duration_ms,
    )
