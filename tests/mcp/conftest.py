"""Fixtures for the MCP engine tests: a real endpoint behind a context-injecting wrapper."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.mcp.harness import ContextApp, DemoTools, make_ctx
from toolkeep.mcp import McpEndpoint, MemorySessionStore


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def tools() -> DemoTools:
    return DemoTools()


@pytest.fixture
def sessions() -> MemorySessionStore:
    return MemorySessionStore()


@pytest.fixture
def endpoint(tools: DemoTools, sessions: MemorySessionStore) -> McpEndpoint:
    return McpEndpoint(tools, sessions, server_version="9.9.9")


@pytest.fixture
def app(endpoint: McpEndpoint) -> ContextApp:
    return ContextApp(endpoint, make_ctx())


@pytest.fixture
async def client(app: ContextApp, anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.tk.test") as c:
        yield c
