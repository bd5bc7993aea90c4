"""An httpx transport whose connections only go to checked, pinned addresses.

``GuardedNetworkBackend`` is the httpcore network backend. httpcore hands it the URL host;
the backend resolves that host itself (once), refuses it unless every address is allowed,
then opens the socket to one of exactly those addresses. There is no second lookup, so DNS
rebinding has no window, and no code path lets httpcore (or anyio) resolve a name on its own.
TLS is started by httpcore on the returned stream with ``server_hostname`` = the URL host,
so SNI and certificate verification use the name the tool asked for, not the pinned IP.

``GuardedTransport`` drives an ``httpcore.AsyncConnectionPool`` with that backend through the
public httpx/httpcore APIs (no private attributes): HTTP/1.1 only, no retries, no proxies,
no environment (``trust_env`` does not exist here), no keep-alive, so every request, every
redirect hop included, opens a new connection that is resolved and checked again.
"""

from __future__ import annotations

import errno
import functools
import ssl
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from toolkeep.sandbox.http.addresses import IPAddress, resolve_checked
from toolkeep.sandbox.http.errors import HttpError, HttpErrorCode
from toolkeep.sandbox.http.policy import HttpPolicy


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """certifi's trust store, hostname checking on; built once (loading it costs ~10 ms)."""
    return httpx.create_ssl_context(trust_env=False)


_ERRNO_TEXT = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ETIMEDOUT: "connection timed out",
    errno.EADDRNOTAVAIL: "address not available",
}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (httpcore puts the original in ``args[0]``) and its chain."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(arg for arg in current.args[:1] if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                todo.append(linked)


def _reason(exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.errno in _ERRNO_TEXT:
            return _ERRNO_TEXT[cause.errno]
    return "connection failed"


def _tls_reason(exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError) and cause.verify_message:
            return f"certificate verify failed: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError) and cause.reason:
            return str(cause.reason).replace("_", " ").lower()
    return "the server closed the connection during the handshake"


class _GuardedStream(httpcore.AsyncNetworkStream):
    """Delegates to the real stream; turns TLS failures into a ``tls_failed`` error."""

    def __init__(self, stream: httpcore.AsyncNetworkStream, host: str) -> None:
        self._stream = stream
        self._host = host

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            stream = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
            raise HttpError(
                HttpErrorCode.TLS_FAILED,
                f"TLS handshake with {self._host} failed: {_tls_reason(exc)}",
            ) from None
        return _GuardedStream(stream, self._host)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks and pins every TCP connection; Unix sockets are refused."""

    def __init__(self, policy: HttpPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_checked(
            host, allow_networks=self._policy.allow_networks, resolver=self._policy.resolver
        )
        return await self._connect_pinned(host, port, addresses, timeout, socket_options)

    async def _connect_pinned(
        self,
        host: str,
        port: int,
        addresses: list[IPAddress],
        timeout: float | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        failure: BaseException | None = None
        for address in addresses:  # in resolver order; each one was checked
            try:
                stream = await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
                failure = exc
                continue
            return _GuardedStream(stream, host)
        reason = _reason(failure) if failure is not None else "connection failed"
        raise HttpError(
            HttpErrorCode.CONNECT_FAILED, f"Could not connect to {_netloc(host, port)}: {reason}"
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise HttpError(HttpErrorCode.ADDRESS_BLOCKED, "Unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@contextmanager
def map_transport_errors(netloc: str) -> Iterator[None]:
    """httpcore exceptions → ``HttpError``; ``HttpError`` and cancellation pass through."""
    try:
        yield
    except HttpError:
        raise
    except httpcore.TimeoutException:  # only with per-request timeouts; the deadline is outside
        raise HttpError(HttpErrorCode.TIMEOUT, f"{netloc} did not answer in time") from None
    except httpcore.RemoteProtocolError:
        raise HttpError(
            HttpErrorCode.PROTOCOL_ERROR,
            f"{netloc} sent an invalid HTTP response or closed the connection early",
        ) from None
    except httpcore.LocalProtocolError:
        raise HttpError(
            HttpErrorCode.REQUEST_INVALID, "The request cannot be sent as HTTP/1.1"
        ) from None
    except httpcore.UnsupportedProtocol:
        raise HttpError(
            HttpErrorCode.SCHEME_NOT_ALLOWED, "Only http and https are allowed"
        ) from None
    except (httpcore.NetworkError, OSError) as exc:
        raise HttpError(
            HttpErrorCode.CONNECT_FAILED, f"Connection to {netloc} failed: {_reason(exc)}"
        ) from None


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpcore.Response, netloc: str) -> None:
        self._response = stream
        self._netloc = netloc

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with map_transport_errors(self._netloc):
            async for part in self._response.aiter_stream():
                yield part

    async def aclose(self) -> None:
        with map_transport_errors(self._netloc):
            await self._response.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """One per ``sdk.http`` call; close it (``async with``) when the call is done."""

    def __init__(self, policy: HttpPolicy) -> None:
        self.backend = GuardedNetworkBackend(policy)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=policy.ssl_context or default_ssl_context(),
            max_connections=4,
            max_keepalive_connections=0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=self.backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        netloc = url.netloc.decode("ascii")
        if not isinstance(request.stream, httpx.AsyncByteStream):
            raise TypeError("GuardedTransport needs an async request body")
        core_request = httpcore.Request(
            method=request.method.encode("ascii"),
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions={},  # never sni_hostname or timeouts from elsewhere
        )
        with map_transport_errors(netloc):
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response, netloc),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
