"""Response writers: one JSON body, one SSE ``message`` event, or an empty status."""

from __future__ import annotations

from typing import Final

from toolkeep.mcp.asgi import Message, Send

Headers = list[tuple[bytes, bytes]]

_JSON: Final[Headers] = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
]
SSE_HEADERS: Final[Headers] = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]
_EMPTY: Final[Headers] = [(b"cache-control", b"no-store"), (b"content-length", b"0")]
_NO_EXTRA: Final[Headers] = []


def json_messages(status: int, body: bytes, extra: Headers = _NO_EXTRA) -> tuple[Message, Message]:
    """The start and body messages of ``body`` as ``application/json``."""
    headers = [*_JSON, (b"content-length", b"%d" % len(body)), *extra]
    start = {"type": "http.response.start", "status": status, "headers": headers}
    return start, {"type": "http.response.body", "body": body}


def sse_messages(body: bytes, extra: Headers = _NO_EXTRA) -> tuple[Message, Message]:
    """The messages of ``body`` as the one ``message`` event of a ``text/event-stream``."""
    headers = [*SSE_HEADERS, *extra] if extra else SSE_HEADERS
    start = {"type": "http.response.start", "status": 200, "headers": headers}
    return start, {"type": "http.response.body", "body": b"event: message\ndata: " + body + b"\n\n"}


async def send_json(send: Send, status: int, body: bytes, extra: Headers = _NO_EXTRA) -> None:
    """Send ``body`` as ``application/json``."""
    start, message = json_messages(status, body, extra)
    await send(start)
    await send(message)


async def send_sse_message(send: Send, body: bytes, extra: Headers = _NO_EXTRA) -> None:
    """Send ``body`` as the single ``message`` event of a ``text/event-stream`` response."""
    start, message = sse_messages(body, extra)
    await send(start)
    await send(message)


async def send_empty(send: Send, status: int, extra: Headers = _NO_EXTRA) -> None:
    """Send a status with no body (202 Accepted, 204, 405 ...)."""
    headers = [*_EMPTY, *extra] if extra else _EMPTY
    if status == 204:
        headers = [h for h in headers if h[0] != b"content-length"]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
