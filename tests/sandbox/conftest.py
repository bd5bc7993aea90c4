"""Fixtures for the sandbox tests: the asyncio backend, an in-process runner, process pools."""

from __future__ import annotations

import contextlib
import ipaddress
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from tests.sandbox.http.fakes import FakeServer, Reply, Seen, api
from toolkeep.sandbox.http import HttpPolicy
from toolkeep.sandbox.inprocess import ThreadedQuickJsRunner
from toolkeep.sandbox.pool import ProcessPoolRunner
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


# --- the process pool --------------------------------------------------------------------

POOL_GRACE_S = 1.0
START_BOUND_S = 60.0  # spawning and warming workers on a busy CI machine
CLOSE_BOUND_S = 15.0


def local_http_policy(**overrides: Any) -> HttpPolicy:
    """sdk.http may reach the fake APIs on 127.0.0.1 (an admin allow-list), nothing else."""
    return HttpPolicy(allow_networks=[ipaddress.ip_network("127.0.0.1/32")], **overrides)


@contextlib.asynccontextmanager
async def open_pool(size: int = 2, **options: Any) -> AsyncIterator[ProcessPoolRunner]:
    options.setdefault("grace_s", POOL_GRACE_S)
    options.setdefault("http_policy", local_http_policy(timeout_s=5.0))
    pool = ProcessPoolRunner(size, **options)
    with anyio.fail_after(START_BOUND_S):
        await pool.start()
    try:
        yield pool
    finally:
        with anyio.fail_after(CLOSE_BOUND_S):
            await pool.aclose()


@pytest.fixture
async def pool(anyio_backend: str) -> AsyncIterator[ProcessPoolRunner]:
    async with open_pool() as tool_pool:
        yield tool_pool


@dataclass
class FakeApi:
    """A fake third-party API on 127.0.0.1 (the http tests' routes, see ``fakes.api``) plus
    ``/hang``, which signals ``arrived`` and answers only when the test ends: a tool
    awaiting it is a tool known to be running."""

    server: FakeServer
    arrived: anyio.Event = field(default_factory=anyio.Event)
    released: anyio.Event = field(default_factory=anyio.Event)

    def url(self, path: str) -> str:
        return self.server.url(path)

    async def handle(self, seen: Seen) -> Reply:
        if seen.path == "/hang":
            self.arrived.set()
            await self.released.wait()
            return Reply(200, [], b"too late")
        return await api(seen)


@pytest.fixture
async def fake_api(anyio_backend: str) -> AsyncIterator[FakeApi]:
    holder: list[FakeApi] = []

    async def handle(seen: Seen) -> Reply:
        return await holder[0].handle(seen)

    fake = FakeApi(FakeServer("127.0.0.1", handle))
    holder.append(fake)
    await fake.server.start()
    try:
        yield fake
    finally:
        fake.released.set()
        await fake.server.aclose()
