"""Run one stored tool: validate arguments, load the server's env, run, map, redact.

Shared by the MCP ``tools/call`` path (``StoreToolSource``) and the owner's test run
(``POST /api/v1/servers/{subdomain}/tools/{name}/run``), so both behave the same.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from toolkeep.mcp.ports import ToolCallOutcome
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
from toolkeep.vault.redaction import Redactor

log = logging.getLogger("toolkeep.sandbox")
EnvLoader = Callable[[uuid.UUID], Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class Execution:
    """A finished call. ``console`` and error texts never hold a secret value."""

    outcome: ToolCallOutcome
    console: tuple[str, ...]
    duration_ms: float
    redactor: Redactor

    def redacted_outcome(self) -> ToolCallOutcome:
        """The outcome with secret values removed from results too (for human-facing views)."""
        return replace(
            self.outcome,
            content=self.redactor.redact_json(self.outcome.content),
            structured_content=self.redactor.redact_json(self.outcome.structured_content),
        )


class ToolExecutor:
    def __init__(
        self,
        runner: ToolRunner,
        load_env: EnvLoader,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        self.runner = runner
        self.load_env = load_env
        self.timeout_s = timeout_s
        self.memory_limit_bytes = memory_limit_bytes

    async def execute(self, tool: Tool, arguments: Any) -> Execution:
        """Invalid arguments answer a 400 outcome without loading secrets or running code."""
        try:
            checked = validate_arguments(tool, arguments)
        except ArgumentsInvalid as exc:
            return Execution(invalid_arguments_outcome(exc.message), (), 0.0, Redactor())
        env = self.load_env(tool.server_id)
        redactor = Redactor(env)
        invocation = ToolInvocation(
            server_id=tool.server_id,
            tool_name=tool.name,
            code=tool.code,
            arguments=checked,
            env=env,
            timeout_s=self.timeout_s,
            memory_limit_bytes=self.memory_limit_bytes,
        )
        result = await self.runner.run(invocation)
        outcome = to_outcome(result)
        if result.error_kind is not None:
            log.info("tool %r failed (%s) in %.0f ms", tool.name, result.error_kind,
                     result.duration_ms)  # fmt: skip
            outcome = replace(outcome, content=redactor.redact_json(outcome.content))
        console = tuple(redactor.redact(line) for line in result.console)
        return Execution(outcome, console, result.duration_ms, redactor)
