"""A tiny HTTP/1.1 server on a real socket that records every connection and request.

It answers one request per connection (``Connection: close``), which is all the client under
test uses. Handlers can delay, stream, trickle or never answer; closing the server cancels
whatever is still running, so no test waits on it unbounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

READ_LIMIT_S = 5.0


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    local_port: int

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.target).query).items()}


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: Callable[[], AsyncIterator[bytes]] | None = None  # sent chunked when set
    delay_s: float = 0.0


Handler = Callable[[Seen], Awaitable[Reply]]


class FakeServer:
    def __init__(
        self,
        host: str,
        handler: Handler,
        tls: ssl.SSLContext | None = None,
        *,
        keep_alive: bool = False,
    ) -> None:
        self.host = host
        self.keep_alive = keep_alive
        self.handler = handler
        self.tls = tls
        self.connections: list[tuple[str, int]] = []  # (peer host, our port) per accept
        self.requests: list[Seen] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        scheme = "https" if self.tls else "http"
        netloc = f"{host}:{self.port}" if host else self.netloc
        return f"{scheme}://{netloc}{path}"

    async def start(self, port: int = 0) -> FakeServer:
        self._server = await asyncio.start_server(self._accept, self.host, port, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 5)
        if self._server is not None:
            await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        self.connections.append((str(peer[0]), self.port))
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve_one(reader, writer)
            while self.keep_alive:  # serve more requests on this connection until EOF
                await self._serve_one(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, TimeoutError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_LIMIT_S)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = [
            (name.strip(), value.strip())
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        ]
        seen = Seen(method, target, headers, b"", self.port)
        length = int(seen.header("content-length") or 0)
        if length:
            seen.body = await asyncio.wait_for(reader.readexactly(length), READ_LIMIT_S)
        self.requests.append(seen)
        reply = await self.handler(seen)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        out = [f"HTTP/1.1 {reply.status} X"]
        if not self.keep_alive:
            out.append("Connection: close")
        out += [f"{name}: {value}" for name, value in reply.headers]
        if reply.stream is None:
            out.append(f"Content-Length: {len(reply.body)}")
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + reply.body)
            await writer.drain()
            return
        out.append("Transfer-Encoding: chunked")
        writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        async for chunk in reply.stream():
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()


def json_reply(value: object, status: int = 200) -> Reply:
    return Reply(status, [("Content-Type", "application/json")], json.dumps(value).encode())


async def _trickle() -> AsyncIterator[bytes]:
    while True:
        yield b"."
        await asyncio.sleep(0.05)


def _chunks(size: int, piece: int = 1000) -> Callable[[], AsyncIterator[bytes]]:
    async def stream() -> AsyncIterator[bytes]:
        sent = 0
        while sent < size:
            n = min(piece, size - sent)
            sent += n
            yield b"a" * n

    return stream


def _compressed(kind: str, size: int) -> Reply:
    data = b"\0" * size
    if kind == "gzip":
        body, coding = gzip.compress(data), "gzip"
    elif kind == "deflate":
        body, coding = zlib.compress(data), "deflate"
    else:  # raw deflate, as some servers send "deflate"
        squeeze = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body, coding = squeeze.compress(data) + squeeze.flush(), "deflate"
    return Reply(200, [("Content-Encoding", coding)], body)


async def api(seen: Seen) -> Reply:
    """The fake third-party API used by the happy-path tests."""
    parts = seen.path.strip("/").split("/")
    route, arg = parts[0], (parts[1] if len(parts) > 1 else "")
    if route == "json":
        return json_reply({"hello": "world"})
    if route == "echo":
        return json_reply(
            {
                "method": seen.method,
                "target": seen.target,
                "headers": seen.headers,
                "body": seen.body.decode("utf-8", "replace"),
            }
        )
    if route == "status":  # /status/302?location=...
        headers = [("Location", seen.query["location"])] if "location" in seen.query else []
        return Reply(int(arg), headers, b"redirecting")
    if route == "chain":  # /chain/3 -> /chain/2 -> /chain/1 -> /chain/0 (200)
        hops = int(arg)
        if hops == 0:
            return Reply(200, [], b"done")
        return Reply(302, [("Location", f"/chain/{hops - 1}")])
    if route == "slow-chain":
        return Reply(302, [("Location", f"/slow-chain/{int(arg) + 1}")], delay_s=0.2)
    if route == "bytes":
        return Reply(200, [], b"a" * int(arg))
    if route == "chunked":
        return Reply(200, [], stream=_chunks(int(arg)))
    if route in ("gzip", "deflate", "rawdeflate"):
        return _compressed(route, int(arg))
    if route == "slow":
        await asyncio.sleep(3600)
    if route == "trickle":
        return Reply(200, [], stream=_trickle)
    return Reply(404, [], b"not found")


async def record_only(seen: Seen) -> Reply:
    return Reply(200, [], b"you should not see this")
