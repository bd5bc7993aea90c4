"""HttpProtocol on a real uvicorn on 127.0.0.1, spoken to over raw sockets."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from starlette.types import Receive, Scope, Send

from tests.support.shim import serve_in_thread
from toolkeep.serving import HTTP_PROTOCOL

TIMEOUT_S = 10.0
TCPI_DATA_SEGS_IN = 152  # offset of tcpi_data_segs_in in struct tcp_info (Linux >= 4.6)
GATE = threading.Event()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    if scope["path"] == "/stream":  # headers and a first chunk, then wait for the test
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first;", "more_body": True})
        await asyncio.get_running_loop().run_in_executor(None, GATE.wait, TIMEOUT_S)
        await send({"type": "http.response.body", "body": b"second"})
        return
    body = f"you asked for {scope['path']}".encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def address() -> Iterator[tuple[str, int]]:
    with serve_in_thread(app, uvicorn_options={"http": HTTP_PROTOCOL}) as base_url:
        parts = urlsplit(base_url)
        yield parts.hostname or "", parts.port or 0


@pytest.fixture
def short_keep_alive() -> Iterator[tuple[str, int]]:
    options = {"http": HTTP_PROTOCOL, "timeout_keep_alive": 1}
    with serve_in_thread(app, uvicorn_options=options) as base_url:
        parts = urlsplit(base_url)
        yield parts.hostname or "", parts.port or 0


def connect(address: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(address, timeout=TIMEOUT_S)
    sock.settimeout(TIMEOUT_S)
    return sock


def request(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n{extra}\r\n".encode()


class Reader:
    """Reads whole HTTP/1.1 responses (Content-Length bodies) off one socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def response(self) -> tuple[bytes, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = int(_header(head, b"content-length"))
        while len(rest) < length:
            self.buffer = head + b"\r\n\r\n" + rest
            self._more()
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
        self.buffer = rest[length:]
        return head, rest[:length]

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk


def _header(head: bytes, name: bytes) -> bytes:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    raise AssertionError(f"no {name!r} header in {head!r}")


def data_segments_in(sock: socket.socket) -> int:
    """Linux ``tcp_info.tcpi_data_segs_in``: TCP segments with data this socket received."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    count: int = struct.unpack_from("I", info, TCPI_DATA_SEGS_IN)[0]
    return count


def test_a_response_leaves_as_one_segment_with_its_headers_and_body(
    address: tuple[str, int],
) -> None:
    with connect(address) as sock:
        sock.sendall(request("/one"))
        head, body = Reader(sock).response()

        segments = data_segments_in(sock)

    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == b"you asked for /one"
    assert segments == 1  # uvicorn's own protocol sends two: headers, then body


def test_pipelined_requests_are_answered_in_order(address: tuple[str, int]) -> None:
    with connect(address) as sock:
        sock.sendall(request("/a") + request("/b") + request("/c"))
        reader = Reader(sock)

        bodies = [reader.response()[1] for _ in range(3)]

    assert bodies == [b"you asked for /a", b"you asked for /b", b"you asked for /c"]


def test_concurrent_connections_each_get_their_own_answer(address: tuple[str, int]) -> None:
    socks = [connect(address) for _ in range(24)]
    try:
        for i, sock in enumerate(socks):
            sock.sendall(request(f"/n{i}"))
        bodies = [Reader(sock).response()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()

    assert bodies == [f"you asked for /n{i}".encode() for i in range(24)]


def test_connection_close_gets_the_whole_answer_then_the_end_of_the_stream(
    address: tuple[str, int],
) -> None:
    with connect(address) as sock:
        sock.sendall(request("/bye", "Connection: close\r\n"))
        reader = Reader(sock)

        head, body = reader.response()
        tail = sock.recv(65536)

    assert body == b"you asked for /bye"
    assert _header(head, b"connection") == b"close"
    assert tail == b""


def test_a_streamed_answer_sends_its_headers_before_the_stream_ends(
    address: tuple[str, int],
) -> None:
    GATE.clear()
    with connect(address) as sock:
        sock.sendall(request("/stream"))
        received = b""
        while b"first;" not in received:  # arrives while the app still holds the rest
            chunk = sock.recv(65536)
            assert chunk, "closed before the first chunk"
            received += chunk
        GATE.set()
        while not received.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            assert chunk, "closed before the last chunk"
            received += chunk

    assert received.startswith(b"HTTP/1.1 200 OK")
    assert b"transfer-encoding: chunked" in received
    assert b"second" in received


def test_an_idle_keep_alive_connection_is_closed_after_its_timeout(
    short_keep_alive: tuple[str, int],
) -> None:
    with connect(short_keep_alive) as sock:
        sock.sendall(request("/idle"))
        Reader(sock).response()
        answered = time.monotonic()

        tail = sock.recv(65536)  # blocks until the server closes (socket timeout 10 s)
        idle_for = time.monotonic() - answered

    assert tail == b""
    assert idle_for > 0.5  # timeout_keep_alive is 1 s: not closed while still fresh


def test_a_connection_used_again_within_its_timeout_stays_open(
    short_keep_alive: tuple[str, int],
) -> None:
    with connect(short_keep_alive) as sock:
        reader = Reader(sock)
        bodies = []
        for path in ("/x", "/y", "/z"):  # 1.4 s in all, never 1 s idle
            sock.sendall(request(path))
            bodies.append(reader.response()[1])
            time.sleep(0.7)  # the idle gap under test, not a synchronization

    assert bodies == [b"you asked for /x", b"you asked for /y", b"you asked for /z"]
