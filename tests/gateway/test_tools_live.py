"""A saved tool is live on the very next request, on every app instance."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.gateway.conftest import ACCEPT, META, World
from toolkeep.app import create_app
from toolkeep.context import AppContext
from toolkeep.settings import Settings
from toolkeep.tools.models import ToolChanges, ToolSpec


def post(client: TestClient, key: str, method: str, **params: Any) -> dict[str, Any]:
    headers = {"Accept": ACCEPT, "Content-Type": "application/json",
               "Authorization": f"Bearer {key}", "MCP-Protocol-Version": "2026-07-28",
               "Mcp-Method": method}  # fmt: skip
    if method == "tools/call":
        headers["Mcp-Name"] = params["name"]
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": META}}
    response = client.post("/s/acme/mcp", json=body, headers=headers)
    result: dict[str, Any] = response.json()
    return result


def names(client: TestClient, key: str) -> list[str]:
    return [t["name"] for t in post(client, key, "tools/list")["result"]["tools"]]


def test_creating_changing_and_deleting_a_tool_shows_on_the_next_request_everywhere(
    client: TestClient, world: World, ctx: AppContext, settings: Settings
) -> None:
    with TestClient(create_app(settings)) as replica:
        for app in (client, replica):
            assert names(app, world.key) == ["echo"]  # both caches primed
        ctx.tools.create(world.actor, "acme", ToolSpec("ping", "Answers pong.", "return 'pong';"))
        for app in (client, replica):
            assert names(app, world.key) == ["echo", "ping"]
        ctx.tools.update(world.actor, "acme", "ping", ToolChanges(code="return 'PONG';"))
        for app in (client, replica):
            called = post(app, world.key, "tools/call", name="ping", arguments={})
            assert called["result"]["content"][0]["text"] == "PONG"
        ctx.tools.delete(world.actor, "acme", "ping")
        for app in (client, replica):
            assert names(app, world.key) == ["echo"]
