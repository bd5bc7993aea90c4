"""Happy paths against a local fake API the policy's allow-list opens, plus request hygiene,
the body cap (decoded), the one deadline and the error codes for tool authors."""

from __future__ import annotations

import gzip
import json
import time

import anyio
import pytest

from tests.sandbox.http.conftest import ScriptedResolver, local_policy
from tests.sandbox.http.fakes import FakeServer
from tests.sandbox.http.helpers import call, refused
from toolkeep.sandbox.http import HttpErrorCode, IPAddress

pytestmark = pytest.mark.anyio


async def test_a_get_returns_status_headers_body_and_url(api_server: FakeServer) -> None:
    response = await call(api_server.url("/json"), local_policy())

    assert response.status == 200
    assert json.loads(response.body) == {"hello": "world"}
    assert response.header("content-type") == "application/json"
    assert response.url == api_server.url("/json")


async def test_a_post_sends_the_json_body_and_the_tools_headers(api_server: FakeServer) -> None:
    payload = json.dumps({"city": "Oslo", "emoji": "☀"})

    response = await call(
        api_server.url("/echo?x=1"),
        local_policy(),
        method="post",
        headers={"Content-Type": "application/json", "X-Api-Key": "k-123"},
        body=payload,
    )

    echoed = json.loads(response.body)
    seen = api_server.requests[0]
    assert echoed["method"] == "POST"
    assert echoed["target"] == "/echo?x=1"
    assert echoed["body"] == payload
    assert seen.header("content-length") == str(len(payload.encode()))
    assert seen.header("content-type") == "application/json"
    assert seen.header("x-api-key") == "k-123"
    assert seen.header("user-agent") == "Toolkeep-Tool/1"
    assert seen.header("accept-encoding") == "gzip, deflate"


async def test_the_server_sees_the_original_host_while_the_socket_goes_to_the_pinned_ip(
    api_server: FakeServer, connect_spy: list[str]
) -> None:
    resolver = ScriptedResolver({"api.example.test": [["127.0.0.1"]]})

    response = await call(
        api_server.url("/echo", host="api.example.test"), local_policy(resolver=resolver)
    )

    assert response.status == 200
    assert api_server.requests[0].header("host") == f"api.example.test:{api_server.port}"
    assert connect_spy == ["127.0.0.1"]
    assert response.url == f"http://api.example.test:{api_server.port}/echo"


async def test_a_host_header_from_the_tool_is_ignored(api_server: FakeServer) -> None:
    await call(api_server.url("/echo"), local_policy(), headers={"Host": "internal.corp"})

    assert api_server.requests[0].all("host") == [api_server.netloc]


async def test_hop_by_hop_and_framing_headers_from_the_tool_are_ignored(
    api_server: FakeServer,
) -> None:
    await call(
        api_server.url("/echo"),
        local_policy(),
        method="PUT",
        headers={
            "Connection": "keep-alive, X-Secret",
            "Transfer-Encoding": "chunked",
            "Content-Length": "999",
            "Upgrade": "websocket",
            "Expect": "100-continue",
            "TE": "trailers",
        },
        body="abc",
    )

    seen = api_server.requests[0]
    assert seen.body == b"abc"
    assert seen.all("content-length") == ["3"]
    for name in ("transfer-encoding", "upgrade", "expect", "te"):
        assert seen.header(name) is None
    assert seen.header("connection") != "keep-alive, X-Secret"


async def test_the_tool_may_set_its_own_user_agent_and_accept_encoding(
    api_server: FakeServer,
) -> None:
    await call(
        api_server.url("/echo"),
        local_policy(),
        headers={"user-agent": "my-tool/2", "Accept-Encoding": "identity"},
    )

    seen = api_server.requests[0]
    assert seen.all("user-agent") == ["my-tool/2"]
    assert seen.all("accept-encoding") == ["identity"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Evil": "a\r\nX-Injected: 1"},
        {"X-Evil": "a\nb"},
        {"X-Evil": "a\0b"},
        {"Bad Name": "x"},
        {"X-Evil:": "x"},
        {"": "x"},
        {"X-Name": "Łódź"},
    ],
)
async def test_an_unsendable_header_is_refused_without_connecting(
    headers: dict[str, str], api_server: FakeServer, connect_spy: list[str]
) -> None:
    error = await refused(api_server.url("/echo"), local_policy(), headers=headers)

    assert error.code == HttpErrorCode.REQUEST_INVALID
    assert connect_spy == []


async def test_a_latin1_header_value_is_sent_as_latin1(api_server: FakeServer) -> None:
    await call(api_server.url("/echo"), local_policy(), headers={"X-Name": "Müller"})

    assert api_server.requests[0].header("x-name") == "Müller"


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "GET /x", ""])
async def test_a_method_outside_the_allow_list_is_refused(
    method: str, api_server: FakeServer, connect_spy: list[str]
) -> None:
    error = await refused(api_server.url("/echo"), local_policy(), method=method)

    assert error.code == HttpErrorCode.METHOD_NOT_ALLOWED
    assert connect_spy == []


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_every_default_method_reaches_the_server(method: str, api_server: FakeServer) -> None:
    response = await call(api_server.url("/echo"), local_policy(), method=method.lower())

    assert json.loads(response.body)["method"] == method


async def test_a_head_request_returns_no_body(api_server: FakeServer) -> None:
    response = await call(api_server.url("/bytes/500"), local_policy(), method="HEAD")

    assert response.status == 200
    assert response.body == b""
    assert response.header("content-length") == "500"


async def test_an_error_status_is_a_response_not_an_error(api_server: FakeServer) -> None:
    response = await call(api_server.url("/nowhere"), local_policy())

    assert response.status == 404
    assert response.body == b"not found"


async def test_an_allowed_ipv6_loopback_server_is_reached_by_its_bracketed_address(
    anyio_backend: str,
) -> None:
    from tests.sandbox.http.conftest import running
    from tests.sandbox.http.fakes import api

    try:
        server = FakeServer("::1", api)
        async with running(server):
            response = await call(server.url("/json"), local_policy("::1/128"))
    except OSError:
        pytest.skip("no IPv6 loopback here")

    assert response.status == 200
    assert server.requests[0].header("host") == server.netloc


# --- the body cap -------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["bytes", "chunked"])
async def test_a_body_exactly_at_the_cap_is_returned_whole(
    route: str, api_server: FakeServer
) -> None:
    response = await call(api_server.url(f"/{route}/5000"), local_policy(max_body_bytes=5000))

    assert response.body == b"a" * 5000


@pytest.mark.parametrize("route", ["bytes", "chunked"])
async def test_a_body_over_the_cap_is_an_error_not_a_truncation(
    route: str, api_server: FakeServer
) -> None:
    error = await refused(api_server.url(f"/{route}/5001"), local_policy(max_body_bytes=5000))

    assert error.code == HttpErrorCode.RESPONSE_TOO_LARGE
    assert "5000 bytes" in error.message


async def test_the_default_cap_is_ten_mebibytes(api_server: FakeServer) -> None:
    error = await refused(api_server.url(f"/chunked/{10 * 1024 * 1024 + 1}"), local_policy())

    assert error.code == HttpErrorCode.RESPONSE_TOO_LARGE
    assert "10 MiB" in error.message


@pytest.mark.parametrize("route", ["gzip", "deflate", "rawdeflate"])
async def test_a_compressed_body_is_decoded(route: str, api_server: FakeServer) -> None:
    response = await call(api_server.url(f"/{route}/70000"), local_policy())

    assert response.body == b"\0" * 70000


@pytest.mark.parametrize("route", ["gzip", "deflate", "rawdeflate"])
async def test_a_decompression_bomb_hits_the_cap_on_decoded_bytes(
    route: str, api_server: FakeServer
) -> None:
    # 64 MiB of zeros, about 64 KiB on the wire: small raw, huge decoded.
    error = await refused(api_server.url(f"/{route}/{64 * 1024 * 1024}"), local_policy())

    assert error.code == HttpErrorCode.RESPONSE_TOO_LARGE
    assert "after decompression" in error.message


async def test_a_body_that_is_not_valid_gzip_is_a_protocol_error(anyio_backend: str) -> None:
    from tests.sandbox.http.conftest import running
    from tests.sandbox.http.fakes import Reply, Seen

    async def broken(seen: Seen) -> Reply:
        return Reply(200, [("Content-Encoding", "gzip")], gzip.compress(b"x")[:10] + b"\xff" * 8)

    async with running(FakeServer("127.0.0.1", broken)) as server:
        error = await refused(server.url("/"), local_policy())

    assert error.code == HttpErrorCode.PROTOCOL_ERROR


# --- the one deadline ---------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/slow", "/trickle", "/slow-chain/0"])
async def test_a_slow_server_is_cut_at_the_overall_deadline(
    route: str, api_server: FakeServer
) -> None:
    started = time.monotonic()

    error = await refused(api_server.url(route), local_policy(timeout_s=0.5, max_redirects=50))

    elapsed = time.monotonic() - started
    assert error.code == HttpErrorCode.TIMEOUT
    assert "0.5 s" in error.message
    assert 0.4 < elapsed < 3.0


async def test_a_resolver_that_never_answers_is_cut_at_the_deadline(anyio_backend: str) -> None:
    async def stuck(host: str) -> list[IPAddress]:
        await anyio.sleep(3600)
        return []

    started = time.monotonic()
    error = await refused("http://stuck.test/", local_policy(timeout_s=0.3, resolver=stuck))

    assert error.code == HttpErrorCode.TIMEOUT
    assert time.monotonic() - started < 3.0


async def test_a_caller_cancelling_the_call_gets_a_cancellation_not_an_http_error(
    api_server: FakeServer,
) -> None:
    with anyio.move_on_after(0.2) as scope:
        await call(api_server.url("/slow"), local_policy(timeout_s=10))

    assert scope.cancelled_caught


# --- failures reported to the tool --------------------------------------------------------


async def test_a_closed_port_is_connect_failed_without_the_resolved_address(
    anyio_backend: str,
) -> None:
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    resolver = ScriptedResolver({"down.test": [["127.0.0.1"]]})

    error = await refused(f"http://down.test:{port}/", local_policy(resolver=resolver))

    assert error.code == HttpErrorCode.CONNECT_FAILED
    assert error.message == f"Could not connect to down.test:{port}: connection refused"


async def test_an_unknown_name_is_dns_failed(anyio_backend: str) -> None:
    error = await refused("https://no-such-host.test/", local_policy(resolver=ScriptedResolver({})))

    assert error.code == HttpErrorCode.DNS_FAILED
    assert error.message == "Could not resolve host 'no-such-host.test'"


async def test_a_server_speaking_garbage_is_a_protocol_error(anyio_backend: str) -> None:
    import asyncio

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        error = await refused(f"http://127.0.0.1:{port}/", local_policy())
    finally:
        server.close()

    assert error.code == HttpErrorCode.PROTOCOL_ERROR


async def test_the_system_resolver_is_used_by_default(anyio_backend: str) -> None:
    from toolkeep.sandbox.http import system_resolver

    addresses = await system_resolver("localhost")

    assert "127.0.0.1" in {str(a) for a in addresses}
