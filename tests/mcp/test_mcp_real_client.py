"""The official ``mcp`` Python client against the engine on a real uvicorn (legacy and 2026)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
import uvicorn
from mcp.client.client import Client
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.mcp.harness import ContextApp, DemoTools, make_ctx
from toolkeep.mcp import McpEndpoint, MemorySessionStore
from toolkeep.serving import HTTP_PROTOCOL

pytestmark = pytest.mark.anyio


class ThreadedServer(uvicorn.Server):
    """A uvicorn server that signals once it is accepting connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class LiveServer:
    """The engine on a real uvicorn (Toolkeep's HTTP protocol) in a background thread."""

    def __init__(self) -> None:
        self.sessions = MemorySessionStore()
        endpoint = McpEndpoint(DemoTools(), self.sessions, server_version="1.0")
        self.app = ContextApp(endpoint, make_ctx())
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/mcp"
        config = uvicorn.Config(
            self.app,
            http=HTTP_PROTOCOL,
            loop="asyncio",
            lifespan="off",
            log_level="warning",
            timeout_graceful_shutdown=60,  # a leaked stream would outlast stop()'s join
        )
        self._server = ThreadedServer(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        assert self._server.ready.wait(timeout=10), "uvicorn did not start"
        assert self._server.started

    def stop(self) -> None:
        """Shut down and wait: afterwards every request's Exchange has been recorded."""
        if not self._thread.is_alive():
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        assert not self._thread.is_alive(), "uvicorn did not shut down (a stream leaked?)"


@pytest.fixture
def live() -> Iterator[LiveServer]:
    server = LiveServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def check_add(result: Any) -> None:
    assert result.is_error is False
    assert result.content[0].text == "5"
    assert result.structured_content == {"result": 5}


async def test_sdk_client_session_in_legacy_mode(live: LiveServer) -> None:
    with anyio.fail_after(30):
        async with (
            create_mcp_http_client(headers={"X-Test": "1"}) as http,
            streamable_http_client(live.url, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            init = await session.initialize()
            assert init.protocol_version == "2025-11-25"
            assert init.server_info.name == "demo-server"
            tools = await session.list_tools()
            assert [t.name for t in tools.tools] == ["add", "boom", "echo"]
            check_add(await session.call_tool("add", {"a": 2, "b": 3}))
            await session.send_ping()
    assert len(live.sessions) == 0  # the client DELETEd its session on exit
    live.stop()
    methods = [e.method for e in live.app.exchanges]
    assert methods[0] == "initialize"
    assert "tools/call" in methods
    assert all(e.session_id for e in live.app.exchanges if e.method != "initialize")
    assert 204 in [e.status for e in live.app.exchanges]


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28", "auto"])
async def test_sdk_high_level_client_lists_and_calls(live: LiveServer, mode: str) -> None:
    with anyio.fail_after(30):
        async with create_mcp_http_client() as http:
            transport = streamable_http_client(live.url, http_client=http)
            async with Client(transport, mode=mode) as client:
                tools = await client.list_tools()
                assert [t.name for t in tools.tools] == ["add", "boom", "echo"]
                check_add(await client.call_tool("add", {"a": 2, "b": 3}))
    live.stop()
    exchanges = live.app.exchanges
    if mode == "legacy":
        assert exchanges[0].method == "initialize"
    else:
        assert all(e.session_id is None for e in exchanges)
        assert all(e.client_name == "mcp" for e in exchanges)
    if mode == "auto":
        assert exchanges[0].method == "server/discover"
