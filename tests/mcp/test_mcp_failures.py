"""Failures outside the protocol: a broken session store, hostile sizes, clipped names."""

from __future__ import annotations

import httpx
import pytest

from tests.mcp.harness import (
    JSON_HEADERS,
    ContextApp,
    DemoTools,
    error_of,
    initialize,
    make_ctx,
    post_legacy,
    rpc,
)
from toolkeep.mcp import McpEndpoint, MemorySessionStore, Session

pytestmark = pytest.mark.anyio


class BrokenStore(MemorySessionStore):
    """Creates sessions, then its database 'goes down'."""

    down = False

    async def get(self, session_id: str) -> Session | None:
        if self.down:
            raise ConnectionError("db-password-in-error-text")
        return await super().get(session_id)


@pytest.fixture
async def broken() -> tuple[httpx.AsyncClient, BrokenStore, ContextApp]:
    store = BrokenStore()
    app = ContextApp(McpEndpoint(DemoTools(), store, server_version="1"), make_ctx())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x")
    return client, store, app


async def test_session_store_outage_on_post_is_internal_error_without_details(
    broken: tuple[httpx.AsyncClient, BrokenStore, ContextApp],
) -> None:
    client, store, app = broken
    async with client:
        session_id = await initialize(client)
        store.down = True
        response = await post_legacy(client, session_id, "tools/list")
    assert error_of(response) == {"code": -32603, "message": "Internal error"}
    assert "db-password" not in response.text
    assert (app.last.status, app.last.error_code) == (500, -32603)


@pytest.mark.parametrize("verb", ["GET", "DELETE"])
async def test_session_store_outage_on_get_or_delete_is_500(
    broken: tuple[httpx.AsyncClient, BrokenStore, ContextApp], verb: str
) -> None:
    client, store, app = broken
    async with client:
        session_id = await initialize(client)
        store.down = True
        headers = {"mcp-session-id": session_id, "accept": "text/event-stream"}
        response = await client.request(verb, "/mcp", headers=headers)
    assert response.status_code == 500
    assert error_of(response)["code"] == -32603
    assert "db-password" not in response.text
    assert app.last.status == 500


async def test_huge_method_and_tool_names_are_clipped_in_exchange_and_message(
    client: httpx.AsyncClient, app: ContextApp
) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "x" * 5000)
    assert len(error_of(response)["message"]) < 300
    assert app.last.method is not None
    assert len(app.last.method) <= 203
    response = await post_legacy(client, session_id, "tools/call", {"name": "t" * 5000})
    assert len(error_of(response)["message"]) < 300
    assert app.last.tool is not None
    assert len(app.last.tool) <= 203


async def test_oversized_session_id_is_unknown(client: httpx.AsyncClient) -> None:
    headers = {**JSON_HEADERS, "mcp-session-id": "s" * 1000}
    response = await client.post("/mcp", json=rpc("ping"), headers=headers)
    assert response.status_code == 404
