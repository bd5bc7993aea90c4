"""tools/list of a ToolListing: rendered once per listing, answered as if rendered each time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest

from tests.mcp.harness import (
    ContextApp,
    DemoTools,
    error_of,
    initialize,
    make_ctx,
    modern_headers,
    modern_rpc,
    rpc,
    session_headers,
)
from toolkeep.mcp import McpEndpoint, MemorySessionStore, RequestContext, ToolDescriptor
from toolkeep.mcp.listing import MAX_PAGES, ToolListing
from toolkeep.mcp.pagination import encode_cursor

pytestmark = pytest.mark.anyio


class ListedTools(DemoTools):
    """DemoTools whose ``list_tools`` returns the same ToolListing until ``change()``."""

    def __init__(self, extra: int) -> None:
        super().__init__(extra)
        self.listing: ToolListing | None = None

    async def list_tools(self, ctx: RequestContext) -> Sequence[ToolDescriptor]:
        if self.listing is None:
            self.listing = ToolListing(await super().list_tools(ctx))
        return self.listing

    def change(self, extra: int) -> None:
        self.extra, self.listing = extra, None


async def open_client(app: ContextApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo.tk.test")


@pytest.fixture
async def pair() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, ListedTools]]:
    """A client of a plain-list source and one of a ToolListing source, same 150+3 tools."""
    listed = ListedTools(150)
    plain = ContextApp(
        McpEndpoint(DemoTools(150), MemorySessionStore(), server_version="1"), make_ctx()
    )
    cached = ContextApp(McpEndpoint(listed, MemorySessionStore(), server_version="1"), make_ctx())
    async with await open_client(plain) as a, await open_client(cached) as b:
        yield a, b, listed


async def legacy_list(client: httpx.AsyncClient, session: str, **params: Any) -> httpx.Response:
    return await client.post(
        "/mcp", json=rpc("tools/list", params, 7), headers=session_headers(session)
    )


async def modern_list(client: httpx.AsyncClient, msg_id: int = 7, **params: Any) -> httpx.Response:
    body = modern_rpc("tools/list", params, msg_id)
    return await client.post("/mcp", json=body, headers=modern_headers("tools/list"))


async def all_pages(client: httpx.AsyncClient, era: str) -> list[httpx.Response]:
    session = await initialize(client) if era == "legacy" else ""
    pages: list[httpx.Response] = []
    params: dict[str, Any] = {}
    while True:
        if era == "legacy":
            pages.append(await legacy_list(client, session, **params))
        else:
            pages.append(await modern_list(client, **params))
        result = pages[-1].json()["result"]
        if "nextCursor" not in result:
            return pages
        params = {"cursor": result["nextCursor"]}


@pytest.mark.parametrize("era", ["legacy", "modern"])
async def test_every_page_is_byte_identical_to_a_fresh_rendering(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient, ListedTools], era: str
) -> None:
    plain, cached, _ = pair
    expected = await all_pages(plain, era)
    for _ in range(2):  # the first walk renders each page, the second is served from the listing
        pages = await all_pages(cached, era)
        assert [p.content for p in pages] == [p.content for p in expected]
        assert [p.headers for p in pages] == [p.headers for p in expected]
    assert [len(p.json()["result"]["tools"]) for p in pages] == [100, 53]


async def test_each_answer_carries_its_own_request_id(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient, ListedTools],
) -> None:
    _, cached, _ = pair
    for msg_id in (1, 2, 99):
        assert (await modern_list(cached, msg_id)).json()["id"] == msg_id
    body = rpc("tools/list", None, "abc")
    session = await initialize(cached)
    response = await cached.post("/mcp", json=body, headers=session_headers(session))
    assert response.json()["id"] == "abc"


async def test_a_changed_listing_is_served_on_the_next_request(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient, ListedTools],
) -> None:
    _, cached, listed = pair
    first = (await modern_list(cached)).json()["result"]
    listed.change(0)
    second = (await modern_list(cached)).json()["result"]
    assert len(first["tools"]) == 100
    assert [tool["name"] for tool in second["tools"]] == ["add", "boom", "echo"]


async def test_the_modern_server_info_follows_the_requests_server_name() -> None:
    listed = ListedTools(0)
    app = ContextApp(McpEndpoint(listed, MemorySessionStore(), server_version="1"), make_ctx())
    async with await open_client(app) as client:
        before = (await modern_list(client)).json()["result"]["_meta"]
        app.ctx = app.ctx._replace(server_name="Renamed")
        after = (await modern_list(client)).json()["result"]["_meta"]
    key = "io.modelcontextprotocol/serverInfo"
    assert (before[key]["name"], after[key]["name"]) == ("demo-server", "Renamed")


async def test_bad_cursors_are_refused_every_time_and_many_cursors_stay_bounded(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient, ListedTools],
) -> None:
    _, cached, listed = pair
    for _ in range(2):
        response = await modern_list(cached, cursor="bogus")
        assert (response.status_code, error_of(response)["code"]) == (400, -32602)
    first = (await modern_list(cached)).json()["result"]
    for i in range(MAX_PAGES + 5):
        response = await modern_list(cached, cursor=encode_cursor(f"t_{i:04d}"))
        assert response.status_code == 200
    assert listed.listing is not None
    assert len(listed.listing._pages) == MAX_PAGES
    assert (await modern_list(cached)).json()["result"] == first
