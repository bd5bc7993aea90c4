"""HTTP-level rules of the Streamable HTTP transport: methods, headers, bodies, Origin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.mcp.harness import (
    JSON_HEADERS,
    ContextApp,
    DemoTools,
    error_of,
    initialize,
    make_ctx,
    rpc,
)
from toolkeep.mcp import McpEndpoint, MemorySessionStore
from toolkeep.mcp.asgi import Scope

pytestmark = pytest.mark.anyio

INIT = rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}})


async def test_batch_array_is_rejected_with_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/mcp", json=[INIT, INIT], headers=JSON_HEADERS)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == -32600
    assert "Batch" in error["message"]
    assert response.json()["id"] is None


async def test_unparseable_body_is_400_parse_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/mcp", content=b"{not json", headers=JSON_HEADERS)
    assert response.status_code == 400
    assert error_of(response)["code"] == -32700


@pytest.mark.parametrize(
    "body",
    [
        b'"just a string"',
        b"42",
        b'{"id": 1, "method": "ping"}',
        b'{"jsonrpc": "1.0", "id": 1, "method": "ping"}',
        b'{"jsonrpc": "2.0", "id": 1}',
    ],
)
async def test_non_jsonrpc_bodies_are_400_invalid_request(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post("/mcp", content=body, headers=JSON_HEADERS)
    assert response.status_code == 400
    assert error_of(response)["code"] == -32600


@pytest.mark.parametrize("bad_id", [None, True, [1], {"a": 1}])
async def test_request_id_must_be_string_or_number(
    client: httpx.AsyncClient, bad_id: object
) -> None:
    body = {"jsonrpc": "2.0", "id": bad_id, "method": "initialize", "params": {}}
    response = await client.post("/mcp", json=body, headers=JSON_HEADERS)
    assert response.status_code == 400
    assert error_of(response)["code"] == -32600


async def test_non_string_method_is_invalid_request_echoing_the_id(
    client: httpx.AsyncClient,
) -> None:
    body = {"jsonrpc": "2.0", "id": "abc", "method": 7}
    response = await client.post("/mcp", json=body, headers=JSON_HEADERS)
    assert response.status_code == 400
    assert response.json()["id"] == "abc"
    assert error_of(response)["code"] == -32600


async def test_params_that_are_not_an_object_are_invalid_params(
    client: httpx.AsyncClient,
) -> None:
    body = {"jsonrpc": "2.0", "id": 3, "method": "initialize", "params": [1, 2]}
    response = await client.post("/mcp", json=body, headers=JSON_HEADERS)
    assert response.status_code == 400
    assert error_of(response)["code"] == -32602
    assert response.json()["id"] == 3


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/jsonx"])
async def test_wrong_content_type_is_415(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"accept": "application/json"}
    if content_type is not None:
        headers["content-type"] = content_type
    response = await client.post("/mcp", content=b"{}", headers=headers)
    assert response.status_code == 415
    assert "Content-Type" in error_of(response)["message"]


async def test_content_type_parameters_are_allowed(client: httpx.AsyncClient) -> None:
    headers = {**JSON_HEADERS, "content-type": "Application/JSON; charset=utf-8"}
    response = await client.post("/mcp", json=INIT, headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize("accept", ["text/html", "image/png, text/plain"])
async def test_accept_without_json_or_sse_is_406(client: httpx.AsyncClient, accept: str) -> None:
    headers = {"accept": accept, "content-type": "application/json"}
    response = await client.post("/mcp", json=INIT, headers=headers)
    assert response.status_code == 406
    assert error_of(response)["code"] == -32600


@pytest.mark.parametrize("accept", ["*/*", "application/json", "text/event-stream"])
async def test_accept_allowing_json_sse_or_anything_is_served(
    client: httpx.AsyncClient, accept: str
) -> None:
    headers = {"accept": accept, "content-type": "application/json"}
    response = await client.post("/mcp", json=INIT, headers=headers)
    assert response.status_code == 200


async def test_body_over_the_cap_is_413(tools: DemoTools) -> None:
    endpoint = McpEndpoint(tools, MemorySessionStore(), server_version="1", max_body_bytes=64)
    transport = httpx.ASGITransport(app=ContextApp(endpoint, make_ctx()))
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        big = rpc("initialize", {"protocolVersion": "2025-11-25", "pad": "x" * 200})
        response = await client.post("/mcp", json=big, headers=JSON_HEADERS)
    assert response.status_code == 413


async def test_chunked_body_over_the_cap_is_413_without_content_length(tools: DemoTools) -> None:
    endpoint = McpEndpoint(tools, MemorySessionStore(), server_version="1", max_body_bytes=64)
    transport = httpx.ASGITransport(app=ContextApp(endpoint, make_ctx()))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 20

    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        response = await client.post("/mcp", content=chunks(), headers=JSON_HEADERS)
    assert response.status_code == 413


async def test_unsupported_http_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.put("/mcp", json=INIT, headers=JSON_HEADERS)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST, DELETE"


async def test_foreign_origin_is_403_with_idless_error(client: httpx.AsyncClient) -> None:
    headers = {**JSON_HEADERS, "origin": "http://evil.example.com"}
    response = await client.post("/mcp", json=INIT, headers=headers)
    assert response.status_code == 403
    assert response.json()["id"] is None
    assert error_of(response)["code"] == -32600


async def test_origin_matching_the_host_is_allowed(client: httpx.AsyncClient) -> None:
    headers = {**JSON_HEADERS, "origin": "http://demo.tk.test"}
    response = await client.post("/mcp", json=INIT, headers=headers)
    assert response.status_code == 200


async def test_origin_check_applies_to_get_and_delete(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    headers = {"mcp-session-id": session_id, "origin": "null"}
    assert (await client.delete("/mcp", headers=headers)).status_code == 403
    assert (await client.get("/mcp", headers=headers)).status_code == 403


async def test_custom_origin_policy_decides(tools: DemoTools) -> None:
    seen: list[str] = []

    def policy(origin: str, scope: Scope) -> bool:
        seen.append(origin)
        return origin == "https://app.example"

    endpoint = McpEndpoint(tools, MemorySessionStore(), server_version="1", allowed_origins=policy)
    transport = httpx.ASGITransport(app=ContextApp(endpoint, make_ctx()))
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        ok = await client.post(
            "/mcp", json=INIT, headers={**JSON_HEADERS, "origin": "https://app.example"}
        )
        denied = await client.post(
            "/mcp", json=INIT, headers={**JSON_HEADERS, "origin": "http://x"}
        )
    assert (ok.status_code, denied.status_code) == (200, 403)
    assert seen == ["https://app.example", "http://x"]


async def test_missing_request_context_is_a_500_not_a_crash(endpoint: McpEndpoint) -> None:
    transport = httpx.ASGITransport(app=endpoint)
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        response = await client.post("/mcp", json=INIT, headers=JSON_HEADERS)
    assert response.status_code == 500
    assert error_of(response)["code"] == -32603


async def test_json_responses_are_not_cacheable(client: httpx.AsyncClient) -> None:
    response = await client.post("/mcp", json=INIT, headers=JSON_HEADERS)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"
