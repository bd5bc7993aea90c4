"""TLS: SNI and certificate verification use the URL's host name, while the socket goes to
the pinned address (the name resolves only through our resolver)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.sandbox.http.certs import TestCA
from tests.sandbox.http.conftest import ScriptedResolver, local_policy, running
from tests.sandbox.http.fakes import FakeServer, api
from tests.sandbox.http.helpers import call, refused
from toolkeep.sandbox.http import HttpErrorCode, HttpPolicy

pytestmark = pytest.mark.anyio


class TlsServer:
    def __init__(self, server: FakeServer, sni: list[str | None]) -> None:
        self.server = server
        self.sni = sni


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


def server_context(ca: TestCA, *names: str, sni: list[str | None]) -> ssl.SSLContext:
    leaf = ca.issue(*names)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf.cert_file, leaf.key_file)

    def remember(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        sni.append(name)

    context.sni_callback = remember
    return context


def client_policy(ca_file: Path | None, **overrides: object) -> HttpPolicy:
    resolver = ScriptedResolver({"api.test": [["127.0.0.1"]]})
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    return local_policy(resolver=resolver, ssl_context=context, **overrides)


@pytest.fixture
async def api_test(ca: TestCA, anyio_backend: str) -> AsyncIterator[TlsServer]:
    sni: list[str | None] = []
    server = FakeServer("127.0.0.1", api, tls=server_context(ca, "api.test", sni=sni))
    async with running(server):
        yield TlsServer(server, sni)


@pytest.fixture
async def other_test(ca: TestCA, anyio_backend: str) -> AsyncIterator[TlsServer]:
    sni: list[str | None] = []
    server = FakeServer("127.0.0.1", api, tls=server_context(ca, "other.test", sni=sni))
    async with running(server):
        yield TlsServer(server, sni)


async def test_the_certificate_is_verified_against_the_url_host_and_sni_names_it(
    ca: TestCA, api_test: TlsServer, connect_spy: list[str]
) -> None:
    response = await call(api_test.server.url("/echo", host="api.test"), client_policy(ca.ca_file))

    assert response.status == 200
    assert api_test.sni == ["api.test"]
    assert api_test.server.requests[0].header("host") == f"api.test:{api_test.server.port}"
    assert connect_spy == ["127.0.0.1"]


async def test_a_certificate_for_another_name_fails_tls(ca: TestCA, other_test: TlsServer) -> None:
    error = await refused(other_test.server.url("/", host="api.test"), client_policy(ca.ca_file))

    assert error.code == HttpErrorCode.TLS_FAILED
    assert error.message.startswith("TLS handshake with api.test failed: certificate verify")
    assert "mismatch" in error.message.lower()
    assert other_test.server.requests == []


async def test_the_pinned_ip_is_not_what_the_certificate_is_checked_against(
    ca: TestCA, api_test: TlsServer
) -> None:
    error = await refused(api_test.server.url("/"), client_policy(ca.ca_file))

    assert error.code == HttpErrorCode.TLS_FAILED
    assert api_test.server.requests == []


async def test_a_certificate_from_an_unknown_authority_fails_tls_by_default(
    api_test: TlsServer,
) -> None:
    error = await refused(api_test.server.url("/", host="api.test"), client_policy(None))

    assert error.code == HttpErrorCode.TLS_FAILED
    assert "certificate verify failed" in error.message
    assert api_test.server.requests == []


async def test_https_to_a_plain_http_server_fails_tls(anyio_backend: str) -> None:
    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(plain, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        error = await refused(f"https://api.test:{port}/", client_policy(None, timeout_s=5))
    finally:
        server.close()

    assert error.code == HttpErrorCode.TLS_FAILED
    assert error.message.startswith("TLS handshake with api.test failed: ")


async def test_a_redirect_from_https_to_http_drops_the_credentials(
    ca: TestCA, api_test: TlsServer, api_server: FakeServer
) -> None:
    target = quote(api_server.url("/echo"), safe="")

    await call(
        api_test.server.url(f"/status/302?location={target}", host="api.test"),
        client_policy(ca.ca_file),
        headers={"Authorization": "Bearer t"},
    )

    assert api_test.server.requests[0].header("authorization") == "Bearer t"
    assert api_server.requests[0].header("authorization") is None
