"""tools/list (pagination, order, shape) and tools/call (results, errors, traffic facts)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from tests.mcp.harness import ContextApp, DemoTools, error_of, initialize, post_legacy, post_modern
from toolkeep.mcp import Exchange, RequestContext, ToolDescriptor

pytestmark = pytest.mark.anyio


async def list_all(client: httpx.AsyncClient, session_id: str) -> list[list[str]]:
    pages: list[list[str]] = []
    params: dict[str, Any] = {}
    for _ in range(10):
        result = (await post_legacy(client, session_id, "tools/list", params)).json()["result"]
        pages.append([tool["name"] for tool in result["tools"]])
        if "nextCursor" not in result:
            return pages
        params = {"cursor": result["nextCursor"]}
    raise AssertionError("pagination did not end")


async def test_tools_list_serves_descriptors_sorted_by_name(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    result = (await post_legacy(client, session_id, "tools/list")).json()["result"]
    assert [tool["name"] for tool in result["tools"]] == ["add", "boom", "echo"]
    assert "nextCursor" not in result
    add = result["tools"][0]
    assert add["description"] == "Add two numbers"
    assert add["inputSchema"]["required"] == ["a", "b"]
    assert add["title"] == "Adder"
    assert add["annotations"] == {"readOnlyHint": True}
    assert add["outputSchema"]["required"] == ["result"]
    assert set(result["tools"][2]) == {"name", "description", "inputSchema"}


async def test_tools_list_paginates_by_100_with_opaque_cursors(
    client: httpx.AsyncClient, tools: DemoTools
) -> None:
    tools.extra = 250
    session_id = await initialize(client)
    pages = await list_all(client, session_id)
    assert [len(page) for page in pages] == [100, 100, 53]
    flat = [name for page in pages for name in page]
    assert flat == sorted(flat)
    assert len(set(flat)) == 253


async def test_tools_list_cursor_survives_a_tool_being_added(
    client: httpx.AsyncClient, tools: DemoTools
) -> None:
    tools.extra = 150
    session_id = await initialize(client)
    first = (await post_legacy(client, session_id, "tools/list")).json()["result"]
    tools.extra = 151
    cursor = first["nextCursor"]
    second = (await post_legacy(client, session_id, "tools/list", {"cursor": cursor})).json()
    names = [tool["name"] for tool in second["result"]["tools"]]
    assert names[0] > first["tools"][-1]["name"]


@pytest.mark.parametrize("cursor", ["not base64!", "Zm9v", 17])
async def test_invalid_cursor_is_invalid_params(client: httpx.AsyncClient, cursor: object) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "tools/list", {"cursor": cursor})
    assert response.status_code == 200
    assert error_of(response)["code"] == -32602


async def test_invalid_cursor_is_http_400_in_modern_era(client: httpx.AsyncClient) -> None:
    response = await post_modern(client, "tools/list", {"cursor": "bogus"})
    assert response.status_code == 400
    assert error_of(response)["code"] == -32602


async def test_modern_tools_list_is_a_cacheable_complete_result(client: httpx.AsyncClient) -> None:
    result = (await post_modern(client, "tools/list")).json()["result"]
    assert [tool["name"] for tool in result["tools"]] == ["add", "boom", "echo"]
    assert (result["resultType"], result["ttlMs"], result["cacheScope"]) == (
        "complete",
        0,
        "private",
    )


async def test_tools_call_returns_content_structured_content_and_is_error(
    client: httpx.AsyncClient, app: ContextApp
) -> None:
    session_id = await initialize(client)
    params = {"name": "add", "arguments": {"a": 2, "b": 3}}
    response = await post_legacy(client, session_id, "tools/call", params)
    assert response.json()["result"] == {
        "content": [{"type": "text", "text": "5"}],
        "structuredContent": {"result": 5},
        "isError": False,
    }
    assert (app.last.method, app.last.tool, app.last.status) == ("tools/call", "add", 200)


async def test_tool_error_outcome_is_a_result_and_logs_its_status(
    client: httpx.AsyncClient, app: ContextApp
) -> None:
    session_id = await initialize(client)
    params = {"name": "add", "arguments": {"a": "x", "b": 3}}
    response = await post_legacy(client, session_id, "tools/call", params)
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["isError"] is True
    assert "structuredContent" not in result
    assert app.last.status == 400
    assert app.last.error_code is None


async def test_arguments_default_to_an_empty_object(
    client: httpx.AsyncClient, tools: DemoTools
) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "tools/call", {"name": "echo"})
    assert response.json()["result"]["content"] == [{"type": "text", "text": ""}]
    assert tools.calls == [("echo", {})]


async def test_unknown_tool_is_invalid_params(client: httpx.AsyncClient, app: ContextApp) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "tools/call", {"name": "nope"})
    assert error_of(response) == {"code": -32602, "message": "Unknown tool: nope"}
    assert (app.last.tool, app.last.error_code) == ("nope", -32602)


@pytest.mark.parametrize(
    "params",
    [None, {}, {"name": 5}, {"name": ""}, {"name": "add", "arguments": [1, 2]}],
)
async def test_malformed_tools_call_params_are_invalid_params(
    client: httpx.AsyncClient, params: dict[str, Any] | None
) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "tools/call", params)
    error = error_of(response)
    assert error["code"] == -32602
    assert "params" in error["message"]


async def test_crashing_tool_source_is_internal_error_without_details(
    client: httpx.AsyncClient, app: ContextApp, caplog: pytest.LogCaptureFixture
) -> None:
    session_id = await initialize(client)
    with caplog.at_level(logging.ERROR, logger="toolkeep.mcp"):
        response = await post_legacy(client, session_id, "tools/call", {"name": "boom"})
    assert error_of(response) == {"code": -32603, "message": "Internal error"}
    assert "secret-detail" not in response.text
    assert "secret-detail-from-traceback" in caplog.text
    assert (app.last.status, app.last.error_code, app.last.tool) == (500, -32603, "boom")


async def test_crashing_tool_listing_is_internal_error(
    client: httpx.AsyncClient, tools: DemoTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(ctx: RequestContext) -> Sequence[ToolDescriptor]:
        raise OSError("database is down")

    monkeypatch.setattr(tools, "list_tools", broken)
    response = await post_modern(client, "tools/list")
    assert error_of(response)["code"] == -32603
    assert "database" not in response.text


async def test_exchange_never_holds_arguments_or_results(
    client: httpx.AsyncClient, app: ContextApp
) -> None:
    session_id = await initialize(client)
    params = {"name": "echo", "arguments": {"message": "private-text"}}
    await post_legacy(client, session_id, "tools/call", params)
    assert {f.name for f in dataclasses.fields(Exchange)} == {
        "method",
        "tool",
        "status",
        "session_id",
        "error_code",
        "client_name",
        "client_version",
    }
    assert "private-text" not in repr(app.last)
