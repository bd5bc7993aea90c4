"""MCPCore-style tools work unchanged, end to end through the MCP endpoint.

A GitHub-like fake API on 127.0.0.1 (allowed for this test by the admin allow-list) records
what tool code sends: the tool's own secret from ``env``, never the MCP client's API key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.gateway.conftest import modern_call, modern_headers
from tests.support.shim import serve_in_thread
from toolkeep.actors import Actor
from toolkeep.app import create_app
from toolkeep.context import AppContext
from toolkeep.settings import Settings
from toolkeep.tools.models import Parameter, ToolSpec

LIST_ISSUES = """
const res = await sdk.http({method: 'GET', url: `${env.API_BASE}/repos/${params.repo}/issues`,
                            headers: {Authorization: `Bearer ${env.GITHUB_TOKEN}`}});
if (res.status() !== 200) { throw new Error(`GitHub said ${res.status()}`); }
const issues = JSON.parse(res.body());
return _.map(_.sortBy(issues, 'number'), i => `#${i.number} ${i.title}`).join('\\n');
"""
CREATE_ISSUE = """
const res = await sdk.http({method: 'POST', url: `${env.API_BASE}/repos/${params.repo}/issues`,
  headers: {Authorization: `Bearer ${env.GITHUB_TOKEN}`, 'Content-Type': 'application/json'},
  body: JSON.stringify({title: params.title})});
return JSON.parse(res.body());
"""
TOKEN = "ghp_fake_token_for_tests_0123456789"


@pytest.fixture
def fake_github() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    issues = [{"number": 2, "title": "Second"}, {"number": 1, "title": "First"}]

    async def list_or_create(request: Request) -> JSONResponse:
        auth = request.headers.get("authorization")
        if request.method != "POST":
            seen.append({"method": "GET", "auth": auth, "body": None})
            return JSONResponse(issues)
        body: dict[str, Any] = await request.json()
        seen.append({"method": "POST", "auth": auth, "body": body})
        return JSONResponse({"number": 3, "title": body["title"]}, status_code=201)

    app = Starlette(routes=[Route("/repos/{owner}/{repo}/issues", list_or_create,
                                  methods=["GET", "POST"])])  # fmt: skip
    with serve_in_thread(app) as base_url:
        yield base_url, seen


def call(client: TestClient, key: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/s/ghub/mcp", json=modern_call(tool, arguments),
                           headers=modern_headers(tool, key=key))  # fmt: skip
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def github_server(ctx: AppContext, base_url: str) -> str:
    """Server ``ghub`` with both tools and their secrets; returns its API key."""
    user = ctx.accounts.create_user("dev@example.com", "correct horse battery")
    actor = Actor(user.id, user.email)
    key = ctx.servers.create(actor, name="GitHub", subdomain="ghub").minted_key
    assert key is not None
    repo = Parameter("repo", "string", required=True)
    ctx.tools.create(actor, "ghub", ToolSpec("list_issues", "List issues.", LIST_ISSUES, (repo,)))
    title = Parameter("title", "string", required=True)
    spec = ToolSpec("create_issue", "Open an issue.", CREATE_ISSUE, (repo, title))
    ctx.tools.create(actor, "ghub", spec)
    ctx.vault.put(actor, "ghub", "GITHUB_TOKEN", TOKEN)
    ctx.vault.put(actor, "ghub", "API_BASE", base_url)
    return key.plaintext


def test_github_style_tools_run_unchanged_with_secrets_lodash_and_sdk_http(
    ctx: AppContext, settings: Settings, fake_github: tuple[str, list[dict[str, Any]]]
) -> None:
    base_url, seen = fake_github
    key = github_server(ctx, base_url)
    allowed = settings.model_copy(update={"http_allow_networks": ["127.0.0.1/32"]})
    with TestClient(create_app(allowed, clock=ctx.clock)) as client:
        listed = call(client, key, "list_issues", {"repo": "acme/app"})
        created = call(client, key, "create_issue", {"repo": "acme/app", "title": "Hi"})
    assert listed["content"] == [{"type": "text", "text": "#1 First\n#2 Second"}]
    assert created["structuredContent"] == {"number": 3, "title": "Hi"}
    assert [s["auth"] for s in seen] == [f"Bearer {TOKEN}"] * 2  # env, never the MCP key
    assert seen[1]["body"] == {"title": "Hi"}


def test_without_the_allow_list_a_local_api_is_refused_before_any_connection(
    ctx: AppContext, settings: Settings, fake_github: tuple[str, list[dict[str, Any]]]
) -> None:
    base_url, seen = fake_github
    key = github_server(ctx, base_url)
    with TestClient(create_app(settings, clock=ctx.clock)) as client:
        result = call(client, key, "list_issues", {"repo": "acme/app"})
    assert result["isError"] is True
    assert "sdk.http" in result["content"][0]["text"]
    assert "loopback" in result["content"][0]["text"]
    assert seen == []
