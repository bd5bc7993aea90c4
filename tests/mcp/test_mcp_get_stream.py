"""The legacy GET SSE stream, driven as raw ASGI (httpx's ASGI transport buffers responses)."""

from __future__ import annotations

import anyio
import pytest

from tests.mcp.harness import DemoTools, make_ctx
from toolkeep.mcp import McpEndpoint, MemorySessionStore
from toolkeep.mcp.asgi import Message, Scope

pytestmark = pytest.mark.anyio


class Wire:
    """Records what the endpoint sends; the client 'disconnects' when told to."""

    def __init__(self, disconnect_after_pings: int | None = None) -> None:
        self.sent: list[Message] = []
        self.disconnected = anyio.Event()
        self.primed = anyio.Event()
        self._body_read = False
        self._limit = disconnect_after_pings

    async def receive(self) -> Message:
        if not self._body_read:
            self._body_read = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        body = message.get("body", b"")
        if body.startswith(b"id: "):
            self.primed.set()
        if self._limit is not None and self.pings >= self._limit:
            self.disconnected.set()

    @property
    def pings(self) -> int:
        return sum(1 for m in self.sent if m.get("body") == b": ping\n\n")

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])


async def open_session(sessions: MemorySessionStore) -> str:
    return (await sessions.create(make_ctx(), "2025-11-25", "c", "1")).id


def get_scope(session_id: str) -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "path": "/mcp",
        "headers": [
            (b"accept", b"text/event-stream"),
            (b"mcp-session-id", session_id.encode()),
        ],
        "toolkeep.ctx": make_ctx(),
    }


async def test_get_stream_primes_then_pings_until_the_client_disconnects() -> None:
    sessions = MemorySessionStore()
    endpoint = McpEndpoint(DemoTools(), sessions, server_version="1", sse_keepalive=0.01)
    wire = Wire(disconnect_after_pings=2)
    scope = get_scope(await open_session(sessions))
    with anyio.fail_after(5):
        await endpoint(scope, wire.receive, wire.send)
    start = wire.sent[0]
    assert start["status"] == 200
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"text/event-stream"
    assert headers[b"x-accel-buffering"] == b"no"
    priming = wire.sent[1]["body"]
    assert priming.startswith(b"id: ")
    assert priming.endswith(b"data:\n\n")
    assert wire.pings >= 2
    assert endpoint.streams.open_count == 0
    assert scope["toolkeep.exchange"].session_id == scope["headers"][1][1].decode()


async def test_close_ends_open_streams_cleanly() -> None:
    sessions = MemorySessionStore()
    endpoint = McpEndpoint(DemoTools(), sessions, server_version="1")
    wire = Wire()
    scope = get_scope(await open_session(sessions))
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(endpoint, scope, wire.receive, wire.send)
            await wire.primed.wait()
            assert endpoint.streams.open_count == 1
            endpoint.close()
    assert wire.sent[-1] == {"type": "http.response.body", "body": b""}
    assert endpoint.streams.open_count == 0


async def test_get_after_close_is_503() -> None:
    sessions = MemorySessionStore()
    endpoint = McpEndpoint(DemoTools(), sessions, server_version="1")
    endpoint.close()
    wire = Wire()
    with anyio.fail_after(5):
        await endpoint(get_scope(await open_session(sessions)), wire.receive, wire.send)
    assert wire.status == 503


async def test_stream_ends_at_its_maximum_age() -> None:
    sessions = MemorySessionStore()
    endpoint = McpEndpoint(
        DemoTools(), sessions, server_version="1", sse_keepalive=0.01, sse_max_age=0.05
    )
    wire = Wire()
    with anyio.fail_after(5):
        await endpoint(get_scope(await open_session(sessions)), wire.receive, wire.send)
    assert wire.sent[-1] == {"type": "http.response.body", "body": b""}


async def test_lifespan_shutdown_closes_the_endpoint() -> None:
    endpoint = McpEndpoint(DemoTools(), MemorySessionStore(), server_version="1")
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    outbox: list[Message] = []

    async def receive() -> Message:
        return inbox.pop(0)

    async def send(message: Message) -> None:
        outbox.append(message)

    with anyio.fail_after(5):
        await endpoint({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in outbox] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert endpoint.streams.closed


async def test_deleting_the_session_ends_its_stream() -> None:
    sessions = MemorySessionStore()
    endpoint = McpEndpoint(DemoTools(), sessions, server_version="1")
    session_id = await open_session(sessions)
    wire = Wire()
    deleter = Wire()
    delete_scope = {**get_scope(session_id), "method": "DELETE"}
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(endpoint, get_scope(session_id), wire.receive, wire.send)
            await wire.primed.wait()
            await endpoint(delete_scope, deleter.receive, deleter.send)
    assert deleter.status == 204
    assert wire.sent[-1] == {"type": "http.response.body", "body": b""}
    assert await sessions.get(session_id) is None
