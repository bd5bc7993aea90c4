"""The legacy-era standalone GET stream: a priming event, then ``: ping`` keep-alives."""

from __future__ import annotations

import secrets
from typing import Final

import anyio

from toolkeep.mcp.asgi import Receive, Send
from toolkeep.mcp.framing import SSE_HEADERS

_PING: Final = b": ping\n\n"
_RETRY_MS: Final = 2000


class EventStreams:
    """Open GET streams; each ends on client disconnect, ``close()``, its session's end
    (on this replica) or its maximum age."""

    def __init__(self, keepalive: float, max_age: float) -> None:
        self._keepalive = keepalive
        self._max_age = max_age
        self._stops: dict[anyio.Event, str] = {}
        self._closed = False

    @property
    def open_count(self) -> int:
        """How many streams are open."""
        return len(self._stops)

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._closed

    def close(self) -> None:
        """End every open stream now and refuse new ones (call from the event loop)."""
        self._closed = True
        for stop in self._stops:
            stop.set()

    def end_session(self, session_id: str) -> None:
        """End the streams of one session."""
        for stop, owner in self._stops.items():
            if owner == session_id:
                stop.set()

    async def serve(self, receive: Receive, send: Send, session_id: str) -> None:
        """Run one stream for ``session_id`` until it ends."""
        stop = anyio.Event()
        self._stops[stop] = session_id
        extra = [(b"mcp-session-id", session_id.encode("ascii"))]
        gone: list[bool] = []
        try:
            start = {"type": "http.response.start", "status": 200, "headers": SSE_HEADERS + extra}
            await send(start)
            priming = f"id: {secrets.token_urlsafe(12)}\nretry: {_RETRY_MS}\ndata:\n\n"
            await send({"type": "http.response.body", "body": priming.encode(), "more_body": True})
            async with anyio.create_task_group() as tg:
                tg.start_soon(_watch_disconnect, receive, stop, gone)
                await self._pings(send, stop)
                tg.cancel_scope.cancel()
            if not gone:
                await send({"type": "http.response.body", "body": b""})
        finally:
            del self._stops[stop]

    async def _pings(self, send: Send, stop: anyio.Event) -> None:
        deadline = anyio.current_time() + self._max_age
        while not stop.is_set():
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                return
            with anyio.move_on_after(min(self._keepalive, remaining)):
                await stop.wait()
            if stop.is_set() or anyio.current_time() >= deadline:
                return
            await send({"type": "http.response.body", "body": _PING, "more_body": True})


async def _watch_disconnect(receive: Receive, stop: anyio.Event, gone: list[bool]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.append(True)
    stop.set()
