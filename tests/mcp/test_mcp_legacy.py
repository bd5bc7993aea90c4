"""Legacy era (2025-03-26 / 2025-06-18 / 2025-11-25): initialize, sessions, lifecycle methods."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.mcp.harness import (
    JSON_HEADERS,
    ContextApp,
    error_of,
    initialize,
    post_legacy,
    rpc,
    session_headers,
)
from toolkeep.mcp import MemorySessionStore

pytestmark = pytest.mark.anyio


def init_params(version: str) -> dict[str, object]:
    return {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "claude-ish", "version": "0.9"},
    }


@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18", "2025-11-25"])
async def test_initialize_answers_the_same_supported_version(
    client: httpx.AsyncClient, version: str
) -> None:
    response = await client.post(
        "/mcp", json=rpc("initialize", init_params(version)), headers=JSON_HEADERS
    )
    assert response.status_code == 200
    assert response.json()["result"]["protocolVersion"] == version


@pytest.mark.parametrize("version", ["2024-11-05", "1999-01-01", "2026-07-28"])
async def test_initialize_with_unknown_version_answers_latest_legacy(
    client: httpx.AsyncClient, version: str
) -> None:
    response = await client.post(
        "/mcp", json=rpc("initialize", init_params(version)), headers=JSON_HEADERS
    )
    assert response.json()["result"]["protocolVersion"] == "2025-11-25"


async def test_initialize_result_has_capabilities_and_server_info(
    client: httpx.AsyncClient, app: ContextApp
) -> None:
    response = await client.post(
        "/mcp", json=rpc("initialize", init_params("2025-11-25"), 7), headers=JSON_HEADERS
    )
    body = response.json()
    assert body["id"] == 7
    assert body["result"]["capabilities"] == {
        "tools": {"listChanged": False},
        "resources": {},
        "prompts": {},
        "logging": {},
        "completions": {},
    }
    assert body["result"]["serverInfo"] == {"name": "demo-server", "version": "9.9.9"}
    assert (app.last.method, app.last.client_name, app.last.client_version) == (
        "initialize",
        "claude-ish",
        "0.9",
    )


async def test_initialize_mints_a_random_visible_ascii_session_id(
    client: httpx.AsyncClient, sessions: MemorySessionStore, app: ContextApp
) -> None:
    ids = set()
    for _ in range(3):
        response = await client.post(
            "/mcp", json=rpc("initialize", init_params("2025-11-25")), headers=JSON_HEADERS
        )
        session_id = response.headers["mcp-session-id"]
        assert all(0x21 <= ord(ch) <= 0x7E for ch in session_id)
        assert len(session_id) >= 22  # >= 128 bits of base64
        ids.add(session_id)
        assert app.last.session_id == session_id
    assert len(ids) == 3
    assert len(sessions) == 3


async def test_initialize_without_protocol_version_is_invalid_params(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/mcp", json=rpc("initialize", {"capabilities": {}}), headers=JSON_HEADERS
    )
    assert response.status_code == 200
    error = error_of(response)
    assert error["code"] == -32602
    assert "protocolVersion" in error["message"]


async def test_initialized_notification_is_202_with_empty_body(
    client: httpx.AsyncClient, app: ContextApp
) -> None:
    session_id = await initialize(client)
    note = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
    response = await client.post("/mcp", json=note, headers=session_headers(session_id))
    assert response.status_code == 202
    assert response.content == b""
    assert (app.last.method, app.last.status) == ("notifications/cancelled", 202)


async def test_posted_jsonrpc_response_is_202(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    body = {"jsonrpc": "2.0", "id": "srv-1", "result": {}}
    response = await client.post("/mcp", json=body, headers=session_headers(session_id))
    assert response.status_code == 202


async def test_request_without_session_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/mcp", json=rpc("tools/list"), headers=JSON_HEADERS)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == -32600
    assert error["message"] == "Missing Mcp-Session-Id header; send initialize first"


async def test_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    response = await post_legacy(client, "no-such-session", "tools/list")
    assert response.status_code == 404
    error = error_of(response)
    assert (error["code"], error["message"]) == (-32600, "Session not found; re-initialize")


async def test_session_of_another_key_is_404(client: httpx.AsyncClient, app: ContextApp) -> None:
    session_id = await initialize(client)
    app.ctx = app.ctx._replace(kid="kid_b")
    response = await post_legacy(client, session_id, "ping")
    assert response.status_code == 404


async def test_session_of_another_server_is_404(client: httpx.AsyncClient, app: ContextApp) -> None:
    session_id = await initialize(client)
    app.ctx = app.ctx._replace(server_id=uuid.uuid4())
    response = await post_legacy(client, session_id, "ping")
    assert response.status_code == 404


async def test_session_created_in_public_mode_does_not_open_with_a_key(
    client: httpx.AsyncClient, app: ContextApp
) -> None:
    app.ctx = app.ctx._replace(kid=None)
    session_id = await initialize(client)
    assert (await post_legacy(client, session_id, "ping")).status_code == 200
    app.ctx = app.ctx._replace(kid="kid_a")
    assert (await post_legacy(client, session_id, "ping")).status_code == 404


async def test_ping_returns_empty_result(client: httpx.AsyncClient, app: ContextApp) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "ping")
    assert response.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert app.last.session_id == session_id
    assert (app.last.client_name, app.last.client_version) == ("legacy-client", "1.2.3")


async def test_unsupported_protocol_version_header_is_400(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    headers = session_headers(session_id, "1999-01-01")
    response = await client.post("/mcp", json=rpc("ping"), headers=headers)
    assert response.status_code == 400
    assert "MCP-Protocol-Version" in error_of(response)["message"]


async def test_absent_protocol_version_header_assumes_the_session_version(
    client: httpx.AsyncClient,
) -> None:
    session_id = await initialize(client, "2025-06-18")
    headers = session_headers(session_id, None)
    response = await client.post("/mcp", json=rpc("ping"), headers=headers)
    assert response.status_code == 200


async def test_delete_ends_the_session_then_404(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    deleted = await client.delete("/mcp", headers={"mcp-session-id": session_id})
    assert deleted.status_code == 204
    assert (await post_legacy(client, session_id, "ping")).status_code == 404
    again = await client.delete("/mcp", headers={"mcp-session-id": session_id})
    assert again.status_code == 404


async def test_delete_without_session_is_400(client: httpx.AsyncClient) -> None:
    response = await client.delete("/mcp")
    assert response.status_code == 400
    assert error_of(response)["code"] == -32600


async def test_delete_of_another_keys_session_is_404_and_keeps_it(
    client: httpx.AsyncClient, app: ContextApp
) -> None:
    session_id = await initialize(client)
    original = app.ctx
    app.ctx = original._replace(kid="kid_b")
    assert (await client.delete("/mcp", headers={"mcp-session-id": session_id})).status_code == 404
    app.ctx = original
    assert (await post_legacy(client, session_id, "ping")).status_code == 200


async def test_get_without_session_is_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/mcp", headers={"accept": "text/event-stream"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST, DELETE"


async def test_get_without_sse_accept_is_405(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    response = await client.get(
        "/mcp", headers={"accept": "application/json", "mcp-session-id": session_id}
    )
    assert response.status_code == 405


async def test_get_with_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/mcp", headers={"accept": "text/event-stream", "mcp-session-id": "nope"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("level", ["debug", "info", "warning", "emergency"])
async def test_logging_set_level_accepts_rfc5424_levels(
    client: httpx.AsyncClient, level: str
) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "logging/setLevel", {"level": level})
    assert response.json()["result"] == {}


@pytest.mark.parametrize("params", [{"level": "verbose"}, {}, None])
async def test_logging_set_level_rejects_other_levels(
    client: httpx.AsyncClient, params: dict[str, object] | None
) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "logging/setLevel", params)
    assert response.status_code == 200
    assert error_of(response)["code"] == -32602


async def test_unknown_method_is_32601_with_http_200(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "tools/frobnicate")
    assert response.status_code == 200
    assert error_of(response)["code"] == -32601


async def test_server_discover_is_not_a_legacy_method(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "server/discover")
    assert error_of(response)["code"] == -32601


async def test_notification_with_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    response = await client.post("/mcp", json=note, headers=session_headers("gone"))
    assert response.status_code == 404


async def test_notification_without_session_is_accepted(client: httpx.AsyncClient) -> None:
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    response = await client.post("/mcp", json=note, headers=JSON_HEADERS)
    assert response.status_code == 202
