"""Methods served in both eras: resources, prompts, completion (tools are in test_mcp_tools)."""

from __future__ import annotations

import httpx
import pytest

from tests.mcp.harness import error_of, initialize, post_legacy, post_modern

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("resources/list", {"resources": []}),
        ("resources/templates/list", {"resourceTemplates": []}),
        ("prompts/list", {"prompts": []}),
    ],
)
async def test_empty_catalogues_in_legacy_era(
    client: httpx.AsyncClient, method: str, expected: dict[str, object]
) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, method)
    assert response.json()["result"] == expected


@pytest.mark.parametrize(
    ("method", "key"),
    [("resources/list", "resources"), ("resources/templates/list", "resourceTemplates")],
)
async def test_empty_catalogues_in_modern_era_are_cacheable_results(
    client: httpx.AsyncClient, method: str, key: str
) -> None:
    result = (await post_modern(client, method)).json()["result"]
    assert result[key] == []
    assert (result["resultType"], result["ttlMs"], result["cacheScope"]) == (
        "complete",
        0,
        "private",
    )


async def test_completion_complete_returns_no_values(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    params = {"ref": {"type": "ref/prompt", "name": "x"}, "argument": {"name": "a", "value": ""}}
    response = await post_legacy(client, session_id, "completion/complete", params)
    assert response.json()["result"] == {"completion": {"values": [], "hasMore": False}}


@pytest.mark.parametrize(
    "params",
    [None, {"argument": {"name": "a", "value": ""}}, {"ref": {"type": "ref/prompt"}}],
)
async def test_completion_complete_requires_ref_and_argument(
    client: httpx.AsyncClient, params: dict[str, object] | None
) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "completion/complete", params)
    assert error_of(response)["code"] == -32602


async def test_resources_read_unknown_uri_is_32002_in_legacy(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "resources/read", {"uri": "test://x"})
    error = error_of(response)
    assert (error["code"], error["data"]) == (-32002, {"uri": "test://x"})


async def test_resources_read_unknown_uri_is_400_32602_in_modern(
    client: httpx.AsyncClient,
) -> None:
    response = await post_modern(client, "resources/read", {"uri": "test://x"})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["data"]) == (-32602, {"uri": "test://x"})


async def test_prompts_get_unknown_prompt_is_invalid_params(client: httpx.AsyncClient) -> None:
    session_id = await initialize(client)
    response = await post_legacy(client, session_id, "prompts/get", {"name": "greet"})
    assert error_of(response) == {"code": -32602, "message": "Unknown prompt: greet"}
