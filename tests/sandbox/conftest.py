"""Fixtures for the sandbox tests: the asyncio backend and one in-process runner."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from toolkeep.sandbox.inprocess import ThreadedQuickJsRunner
from toolkeep.sandbox.runner import ToolInvocation


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def runner(anyio_backend: str) -> AsyncIterator[ThreadedQuickJsRunner]:
    tool_runner = ThreadedQuickJsRunner(max_workers=2)
    yield tool_runner
    await tool_runner.aclose()


def invocation(
    code: str,
    arguments: dict[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    **limits: Any,
) -> ToolInvocation:
    return ToolInvocation(
        server_id=uuid.UUID(int=1),
        tool_name="demo",
        code=code,
        arguments=arguments or {},
        env=env or {},
        **limits,
    )
