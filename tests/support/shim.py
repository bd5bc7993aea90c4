"""Serve ASGI apps on loopback from a thread, and a header-injecting proxy for conformance runs.

``serve_in_thread(app)`` runs ``uvicorn.Server`` in a daemon thread on a socket bound here to
``127.0.0.1:<free port>`` (bound before the thread starts, so the port cannot be taken in
between), waits for ``server.started`` with a deadline and shuts down with a bounded join.

``auth_shim(upstream_base, key)`` serves a small Starlette + httpx reverse proxy that adds
``Authorization: Bearer <key>`` to every request and forwards everything else untouched: any
method and path (query included), ``Host``, ``Origin``, every ``Mcp-*`` and ``Last-Event-ID``
header, the request body, and the upstream status, headers and body, streamed chunk by chunk
(SSE is never buffered). The conformance suite needs it because it cannot send headers
(conformance#453).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from functools import partial
from typing import Any, Literal

import anyio
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from toolkeep.serving import HTTP_PROTOCOL

__all__ = ["auth_shim", "build_auth_shim_app", "serve_in_thread"]

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]

# RFC 9110 §7.6.1 connection-specific fields, never forwarded by a proxy, in either direction.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Recomputed by httpx from the (fully read) request body.
_NOT_FORWARDED_UPSTREAM = HOP_BY_HOP | {"content-length"}
PROXY_METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]


@contextlib.contextmanager
def serve_in_thread(
    app: ASGIApp | None = None,
    *,
    app_factory: Callable[[str], ASGIApp] | None = None,
    startup_timeout: float = 15.0,
    shutdown_timeout: float = 10.0,
    log_level: LogLevel = "warning",
    server_header: bool = True,
    date_header: bool = True,
    uvicorn_options: Mapping[str, Any] | None = None,
) -> Iterator[str]:
    """Serve ``app`` on ``http://127.0.0.1:<free port>`` in a daemon thread; yield that base URL.

    Pass ``app_factory`` instead of ``app`` when the app must know its own URL (for example an
    MCP server whose auth settings name its resource URL): it is called with the base URL once
    the port is bound. The lifespan protocol is run, so apps that start work in their lifespan
    (the MCP SDK's session manager) work. On exit the server is asked to stop, open streams
    get ``shutdown_timeout / 2`` seconds to finish, and the thread is joined with a deadline.
    ``server_header``/``date_header``: whether uvicorn adds its own ``Server``/``Date`` (a
    proxy turns them off so the upstream's pass through alone). ``uvicorn_options``: more
    ``uvicorn.Config`` keywords (e.g. ``{"http": "h11"}``; the default is Toolkeep's own
    ``toolkeep.serving.protocol:HttpProtocol``, as ``toolkeep serve`` runs).
    """
    if (app is None) == (app_factory is None):
        raise TypeError("pass exactly one of app= or app_factory=")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        base_url = f"http://127.0.0.1:{port}"
        asgi_app = app if app is not None else app_factory(base_url)  # type: ignore[misc]
        config = uvicorn.Config(
            asgi_app,
            host="127.0.0.1",
            port=port,
            log_level=log_level,
            lifespan="on",
            access_log=False,
            server_header=server_header,
            date_header=date_header,
            timeout_graceful_shutdown=max(1, int(shutdown_timeout / 2)),
            **{"http": HTTP_PROTOCOL, **(uvicorn_options or {})},
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"uvicorn on port {port} exited during startup (see its log)")
            if time.monotonic() > deadline:
                server.should_exit = True
                thread.join(shutdown_timeout)
                raise TimeoutError(f"uvicorn on port {port} did not start in {startup_timeout}s")
            time.sleep(0.01)
        try:
            yield base_url
        finally:
            server.should_exit = True
            thread.join(shutdown_timeout)
            if thread.is_alive():  # graceful shutdown stuck: cancel everything
                server.force_exit = True
                thread.join(shutdown_timeout)
            if thread.is_alive():
                raise RuntimeError(
                    f"uvicorn on port {port} did not stop in {2 * shutdown_timeout}s"
                )
    finally:
        sock.close()


class _ProxiedStream(StreamingResponse):
    """A StreamingResponse that always watches for the client going away, whatever ASGI spec
    version the server reports, so a client closing an SSE stream closes the upstream one too
    (on 2026-07-28 closing the stream is the cancellation)."""

    def __init__(
        self,
        upstream: httpx.Response,
        raw_headers: list[tuple[bytes, bytes]],
    ) -> None:
        super().__init__(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            background=BackgroundTask(upstream.aclose),
        )
        self.raw_headers = raw_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as tg:

            async def run_then_cancel(func: Callable[[], Awaitable[None]]) -> None:
                await func()
                tg.cancel_scope.cancel()

            tg.start_soon(run_then_cancel, partial(self.stream_response, send))
            await run_then_cancel(partial(self.listen_for_disconnect, receive))
        if self.background is not None:
            await self.background()


def _upstream_headers(request: Request, key: str | None) -> list[tuple[str, str]]:
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in request.headers.raw
        if name.decode("latin-1").lower() not in _NOT_FORWARDED_UPSTREAM
    ]
    if key is not None:
        headers = [(n, v) for n, v in headers if n.lower() != "authorization"]
        headers.append(("Authorization", f"Bearer {key}"))
    return headers


def build_auth_shim_app(
    upstream_base: str, key: str | None, *, read_timeout: float | None = None
) -> Starlette:
    """The proxy app: every path and method of this app goes to ``upstream_base + path``.

    ``Host`` is forwarded as the client sent it (so the upstream's DNS-rebinding check sees the
    real client value); ``Authorization`` is replaced by ``Bearer <key>`` (left alone when
    ``key`` is None). Upstream connection failures become a plain 502.
    """
    upstream_base = upstream_base.rstrip("/")
    state: dict[str, httpx.AsyncClient] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        timeout = httpx.Timeout(30.0, read=read_timeout)
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            state["client"] = client
            yield

    async def forward(request: Request) -> Response:
        client = state["client"]
        raw_path = request.scope.get("raw_path")  # as sent: no decoding/re-encoding round trip
        target = upstream_base + (raw_path.decode("latin-1") if raw_path else request.url.path)
        query = request.scope.get("query_string", b"")
        if query:
            target += "?" + query.decode("latin-1")
        body = await request.body()
        upstream_request = client.build_request(
            request.method,
            target,
            headers=_upstream_headers(request, key),
            content=body or None,  # no body: no Content-Length either, as the client sent it
        )
        try:
            upstream = await client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            return PlainTextResponse(f"auth shim: upstream error: {exc!r}", status_code=502)
        raw_headers = [
            (name, value)
            for name, value in upstream.headers.raw
            if name.decode("latin-1").lower() not in HOP_BY_HOP
        ]
        return _ProxiedStream(upstream, raw_headers)

    routes = [
        Route("/", forward, methods=PROXY_METHODS),
        Route("/{path:path}", forward, methods=PROXY_METHODS),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


@contextlib.contextmanager
def auth_shim(
    upstream_base: str,
    key: str | None,
    *,
    read_timeout: float | None = None,
    startup_timeout: float = 15.0,
) -> Iterator[str]:
    """Run the header-injecting proxy for ``upstream_base`` on loopback; yield its base URL.

    Keep the upstream path: ``<shim>/s/<id>/mcp`` goes to ``<upstream_base>/s/<id>/mcp``.
    """
    app = build_auth_shim_app(upstream_base, key, read_timeout=read_timeout)
    with serve_in_thread(
        app, startup_timeout=startup_timeout, server_header=False, date_header=False
    ) as base_url:
        yield base_url
