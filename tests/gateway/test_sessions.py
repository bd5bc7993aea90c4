"""Legacy sessions through the gateway: bound to a key, and re-checked on every request."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.gateway.conftest import ACCEPT, World, tool_runs
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
