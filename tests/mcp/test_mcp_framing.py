"""Response framing: JSON when the client accepts it, a single SSE message otherwise."""

from __future__ import annotations

import httpx
import pytest

from tests.mcp.harness import error_of, initialize, modern_headers, modern_rpc, rpc

pytestmark = pytest.mark.anyio

SSE_ONLY = {"accept": "text/event-stream", "content-type": "application/json"}


def sse_payload(response: httpx.Response) -> str:
    text = response.text
    assert text.startswith("event: message\ndata: ")
    assert text.endswith("\n\n")
    return text[len("event: message\ndata: ") : -2]


async def test_sse_only_client_gets_one_sse_message(client: httpx.AsyncClient) -> None:
    params = {"protocolVersion": "2025-11-25", "capabilities": {}}
    response = await client.post("/mcp", json=rpc("initialize", params), headers=SSE_ONLY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache, no-transform"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.headers["mcp-session-id"]
    assert '"protocolVersion":"2025-11-25"' in sse_payload(response)


async def test_in_band_error_is_framed_as_sse_for_sse_only_clients(
    client: httpx.AsyncClient,
) -> None:
    session_id = await initialize(client)
    headers = {**SSE_ONLY, "mcp-session-id": session_id}
    response = await client.post("/mcp", json=rpc("no/such"), headers=headers)
    assert response.headers["content-type"] == "text/event-stream"
    assert '"code":-32601' in sse_payload(response)


async def test_http_error_statuses_are_always_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/mcp", json=rpc("tools/list"), headers=SSE_ONLY)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert error_of(response)["code"] == -32600


async def test_modern_request_from_sse_only_client(client: httpx.AsyncClient) -> None:
    headers = {**modern_headers("tools/list"), "accept": "text/event-stream"}
    response = await client.post("/mcp", json=modern_rpc("tools/list"), headers=headers)
    assert response.headers["content-type"] == "text/event-stream"
    assert '"resultType":"complete"' in sse_payload(response)


async def test_client_accepting_both_gets_json(client: httpx.AsyncClient) -> None:
    headers = {"accept": "text/event-stream, application/json", "content-type": "application/json"}
    params = {"protocolVersion": "2025-11-25", "capabilities": {}}
    response = await client.post("/mcp", json=rpc("initialize", params), headers=headers)
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
