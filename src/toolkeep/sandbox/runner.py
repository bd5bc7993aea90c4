"""The tool runner interface. The in-process runner and the process pool both implement it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

ErrorKind = Literal["thrown", "timeout", "memory", "result_too_large", "crash"]

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ToolInvocation:
    """One call: the code, its validated arguments and the server's secrets (``env``)."""

    server_id: uuid.UUID
    tool_name: str
    code: str
    arguments: dict[str, Any]
    env: Mapping[str, str]
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT

    def __repr__(self) -> str:  # never print env (secrets) or arguments
        return f"ToolInvocation(server_id={self.server_id}, tool_name={self.tool_name!r})"


@dataclass(frozen=True, slots=True)
class ToolRunResult:
    value: Any  # the JS return value as JSON-compatible Python (undefined -> None, undefined=True)
    undefined: bool = False
    error: str | None = None  # message with the tool's own line number; never a host path
    error_kind: ErrorKind | None = None
    console: tuple[str, ...] = ()
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_kind is None


class ToolRunner(Protocol):
    async def run(self, invocation: ToolInvocation) -> ToolRunResult: ...

    async def aclose(self) -> None: ...
