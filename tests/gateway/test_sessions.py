"""Legacy sessions through the gateway: bound to a key, and re-checked on every request."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.gateway.conftest import ACCEPT, World, count_reads, tool_runs
from toolkeep.context import AppContext

URL = "/s/acme/mcp"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "claude-desktop", "version": "1.2"},
    },
}


def headers(key: str, session: str | None = None) -> dict[str, str]:
    h = {"Accept": ACCEPT, "Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    if session:
        h |= {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}
    return h


def request(method: str, **params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 2, "method": method, "params": params}


def open_session(client: TestClient, key: str) -> str:
    response = client.post(URL, json=INIT, headers=headers(key))
    assert response.status_code == 200, response.text
    session: str = response.headers["mcp-session-id"]
    return session


def test_revoking_a_key_between_two_requests_of_a_session_refuses_the_second(
    client: TestClient, world: World, ctx: AppContext
) -> None:
    session = open_session(client, world.key)
    call = request("tools/call", name="echo", arguments={"text": "a"})
    assert client.post(URL, json=call, headers=headers(world.key, session)).status_code == 200
    ctx.keys.revoke(world.actor, "acme", world.key.split("_")[1])
    refused = client.post(URL, json=call, headers=headers(world.key, session))
    assert refused.status_code == 401
    assert refused.json()["error_code"] == "key_revoked"
    assert tool_runs(client) == 1


def test_a_session_opened_with_one_key_cannot_be_used_with_another(
    client: TestClient, world: World, ctx: AppContext
) -> None:
    session = open_session(client, world.key)
    second = ctx.keys.create(world.actor, "acme", "laptop").plaintext
    response = client.post(URL, json=request("tools/list"), headers=headers(second, session))
    assert response.status_code == 404


def test_a_session_survives_across_app_instances_sharing_the_database(
    client: TestClient, world: World, settings: object
) -> None:
    from toolkeep.app import create_app
    from toolkeep.settings import Settings

    assert isinstance(settings, Settings)
    session = open_session(client, world.key)
    with TestClient(create_app(settings)) as replica:
        listed = replica.post(URL, json=request("tools/list"), headers=headers(world.key, session))
        assert listed.status_code == 200
        assert [t["name"] for t in listed.json()["result"]["tools"]] == ["echo"]
        assert replica.delete(URL, headers=headers(world.key, session)).status_code == 204
    gone = client.post(URL, json=request("tools/list"), headers=headers(world.key, session))
    assert gone.status_code == 404


def test_a_legacy_request_reads_key_server_and_session_in_one_statement(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = open_session(client, world.key)
    listing = request("tools/list")
    assert client.post(URL, json=listing, headers=headers(world.key, session)).status_code == 200
    reads = count_reads(client, monkeypatch)
    for _ in range(3):
        response = client.post(URL, json=listing, headers=headers(world.key, session))
        assert response.status_code == 200
    assert len(reads) == 3
    assert all("mcp_sessions" in sql and "api_keys" in sql for sql in reads)


def test_an_ended_session_is_a_404_on_the_next_request(client: TestClient, world: World) -> None:
    session = open_session(client, world.key)
    listing = request("tools/list")
    assert client.post(URL, json=listing, headers=headers(world.key, session)).status_code == 200
    assert client.delete(URL, headers=headers(world.key, session)).status_code == 204
    gone = client.post(URL, json=listing, headers=headers(world.key, session))
    assert gone.status_code == 404
    assert gone.json()["error"]["message"] == "Session not found; re-initialize"


def test_a_session_of_another_server_is_not_usable_even_with_that_servers_key(
    client: TestClient, world: World
) -> None:
    other = client.post("/s/other/mcp", json=INIT, headers=headers(world.other_key))
    session = other.headers["mcp-session-id"]
    listing = request("tools/list")
    assert client.post(URL, json=listing, headers=headers(world.key, session)).status_code == 404
    assert (
        client.post("/s/open/mcp", json=listing, headers=headers(world.key, session)).status_code
        == 404
    )
    on_other = client.post("/s/other/mcp", json=listing, headers=headers(world.other_key, session))
    assert on_other.status_code == 200


def test_an_unknown_or_oversized_session_id_is_a_404(client: TestClient, world: World) -> None:
    listing = request("tools/list")
    for session in ("no-such-session", "x" * 65, "x" * 300):
        response = client.post(URL, json=listing, headers=headers(world.key, session))
        assert response.status_code == 404, session
