"""2026-07-28 era: stateless requests, envelope and header mirroring, server/discover."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.mcp.harness import (
    CAPS_KEY,
    JSON_HEADERS,
    MODERN,
    PV_KEY,
    ContextApp,
    error_of,
    modern_headers,
    modern_meta,
    modern_rpc,
    post_modern,
    rpc,
)
from toolkeep.mcp import MemorySessionStore

pytestmark = pytest.mark.anyio

SERVER_INFO = "io.modelcontextprotocol/serverInfo"


async def test_server_discover_lists_versions_capabilities_and_server_info(
    client: httpx.AsyncClient,
) -> None:
    response = await post_modern(client, "server/discover")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    result = response.json()["result"]
    assert result["supportedVersions"] == ["2025-03-26", "2025-06-18", "2025-11-25", MODERN]
    assert result["capabilities"]["tools"] == {"listChanged": False}
    assert (result["resultType"], result["ttlMs"], result["cacheScope"]) == (
        "complete",
        0,
        "private",
    )
    assert result["_meta"][SERVER_INFO] == {"name": "demo-server", "version": "9.9.9"}


async def test_modern_requests_never_mint_sessions(
    client: httpx.AsyncClient, sessions: MemorySessionStore, app: ContextApp
) -> None:
    response = await post_modern(client, "tools/list")
    assert "mcp-session-id" not in response.headers
    assert len(sessions) == 0
    assert app.last.session_id is None


async def test_modern_client_info_reaches_the_exchange(
    client: httpx.AsyncClient, app: ContextApp
) -> None:
    await post_modern(client, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
    exchange = app.last
    assert (exchange.method, exchange.tool) == ("tools/call", "add")
    assert (exchange.client_name, exchange.client_version) == ("modern-client", "2.0")


async def test_every_modern_result_is_complete_and_stamped(client: httpx.AsyncClient) -> None:
    response = await post_modern(
        client, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}
    )
    result = response.json()["result"]
    assert result["resultType"] == "complete"
    assert "ttlMs" not in result
    assert result["_meta"][SERVER_INFO]["name"] == "demo-server"


async def test_version_header_is_required(client: httpx.AsyncClient) -> None:
    headers = modern_headers("tools/list")
    del headers["mcp-protocol-version"]
    response = await client.post("/mcp", json=modern_rpc("tools/list"), headers=headers)
    assert response.status_code == 400
    assert error_of(response)["code"] == -32020


async def test_version_header_must_equal_the_envelope(client: httpx.AsyncClient) -> None:
    headers = modern_headers("tools/list", version="2025-11-25")
    response = await client.post("/mcp", json=modern_rpc("tools/list"), headers=headers)
    assert response.status_code == 400
    assert error_of(response)["code"] == -32020


async def test_unsupported_version_is_400_32022_with_supported_list(
    client: httpx.AsyncClient,
) -> None:
    body = rpc("tools/list", {"_meta": modern_meta("2099-01-01")})
    headers = modern_headers("tools/list", version="2099-01-01")
    response = await client.post("/mcp", json=body, headers=headers)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == -32022
    assert error["data"]["requested"] == "2099-01-01"
    assert MODERN in error["data"]["supported"]


async def test_missing_client_capabilities_is_400_32602(client: httpx.AsyncClient) -> None:
    body = rpc("tools/list", {"_meta": {PV_KEY: MODERN}})
    response = await client.post("/mcp", json=body, headers=modern_headers("tools/list"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == -32602
    assert CAPS_KEY in error["message"]


async def test_header_only_modern_request_without_meta_is_400_32602(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/mcp", json=rpc("tools/list"), headers=modern_headers("tools/list")
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == -32602


async def test_mcp_method_header_is_required(client: httpx.AsyncClient) -> None:
    headers = modern_headers("tools/list")
    del headers["mcp-method"]
    response = await client.post("/mcp", json=modern_rpc("tools/list"), headers=headers)
    assert response.status_code == 400
    assert error_of(response)["code"] == -32020


async def test_mcp_method_header_is_case_sensitive(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/mcp", json=modern_rpc("tools/list"), headers=modern_headers("TOOLS/LIST")
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == -32020


async def test_header_values_are_trimmed(client: httpx.AsyncClient) -> None:
    headers = modern_headers("tools/call", name="  add ")
    headers["mcp-method"] = " tools/call  "
    body = modern_rpc("tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}})
    response = await client.post("/mcp", json=body, headers=headers)
    assert response.status_code == 200, response.text


async def test_tools_call_without_mcp_name_is_400_32020(client: httpx.AsyncClient) -> None:
    body = modern_rpc("tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}})
    response = await client.post("/mcp", json=body, headers=modern_headers("tools/call"))
    assert response.status_code == 400
    assert error_of(response)["code"] == -32020


async def test_tools_call_with_mismatched_mcp_name_is_400_32020(
    client: httpx.AsyncClient,
) -> None:
    body = modern_rpc("tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}})
    response = await client.post("/mcp", json=body, headers=modern_headers("tools/call", "echo"))
    assert response.status_code == 400
    assert error_of(response)["code"] == -32020


async def test_base64_encoded_mcp_name_is_decoded(client: httpx.AsyncClient) -> None:
    encoded = "=?base64?" + base64.b64encode(b"add").decode() + "?="
    body = modern_rpc("tools/call", {"name": "add", "arguments": {"a": 2, "b": 2}})
    response = await client.post("/mcp", json=body, headers=modern_headers("tools/call", encoded))
    assert response.status_code == 200
    assert response.json()["result"]["structuredContent"] == {"result": 4}


async def test_malformed_base64_mcp_name_never_matches(client: httpx.AsyncClient) -> None:
    body = modern_rpc("tools/call", {"name": "add", "arguments": {"a": 2, "b": 2}})
    headers = modern_headers("tools/call", "=?base64?!!!?=")
    response = await client.post("/mcp", json=body, headers=headers)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("method", "params", "name"),
    [("prompts/get", {"name": "p"}, "q"), ("resources/read", {"uri": "test://a"}, "test://b")],
)
async def test_mcp_name_is_checked_for_prompts_and_resources(
    client: httpx.AsyncClient, method: str, params: dict[str, str], name: str
) -> None:
    response = await client.post(
        "/mcp", json=modern_rpc(method, params), headers=modern_headers(method, name)
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == -32020


async def test_duplicated_routing_header_is_400_32020(client: httpx.AsyncClient) -> None:
    raw = [(k, v) for k, v in modern_headers("tools/list").items()]
    raw.append(("mcp-method", "tools/list"))
    response = await client.post("/mcp", json=modern_rpc("tools/list"), headers=raw)
    assert response.status_code == 400
    assert error_of(response)["code"] == -32020


@pytest.mark.parametrize(
    "method",
    [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
        "no/such",
    ],
)
async def test_methods_outside_the_modern_era_are_404_32601(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await post_modern(client, method)
    assert response.status_code == 404
    assert error_of(response)["code"] == -32601


async def test_modern_notification_is_202(client: httpx.AsyncClient) -> None:
    note = {
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": {"_meta": modern_meta()},
    }
    response = await client.post(
        "/mcp", json=note, headers=modern_headers("notifications/cancelled")
    )
    assert response.status_code == 202


async def test_modern_notification_with_unsupported_version_header_is_400(
    client: httpx.AsyncClient,
) -> None:
    note = {"jsonrpc": "2.0", "method": "notifications/x", "params": {"_meta": modern_meta()}}
    headers = modern_headers("notifications/x", version="2099-01-01")
    response = await client.post("/mcp", json=note, headers=headers)
    assert response.status_code == 400
    assert error_of(response)["code"] == -32022


async def test_modern_posted_response_is_rejected(client: httpx.AsyncClient) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "result": {}}
    response = await client.post("/mcp", json=body, headers=modern_headers("x"))
    assert response.status_code == 400


@pytest.mark.parametrize("verb", ["GET", "DELETE"])
async def test_get_and_delete_without_session_are_405_in_modern_era(
    client: httpx.AsyncClient, verb: str
) -> None:
    headers = {"accept": "text/event-stream", "mcp-protocol-version": MODERN}
    response = await client.request(verb, "/mcp", headers=headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_session_header_routes_a_modern_body_to_the_legacy_era(
    client: httpx.AsyncClient,
) -> None:
    headers = {**modern_headers("tools/list"), "mcp-session-id": "unknown"}
    response = await client.post("/mcp", json=modern_rpc("tools/list"), headers=headers)
    assert response.status_code == 400  # 2026-07-28 header is not a legacy version
    legacy_headers = {**JSON_HEADERS, "mcp-session-id": "unknown"}
    response = await client.post("/mcp", json=modern_rpc("tools/list"), headers=legacy_headers)
    assert response.status_code == 404
