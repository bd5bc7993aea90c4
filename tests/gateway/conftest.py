"""A small hosted world: servers in each mode, keys, and a tool whose runs are counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from toolkeep.actors import Actor
from toolkeep.context import AppContext
from toolkeep.gateway.runtime import McpRuntime
from toolkeep.servers.models import SecurityMode
from toolkeep.tools.models import Parameter, ToolSpec
from toolkeep.tools.service import ToolService

ACCEPT = "application/json, text/event-stream"
META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}
ECHO_CODE = "return {params: params, env: env, keys: Object.keys(globalThis).length};"


@dataclass(frozen=True)
class World:
    actor: Actor
    key: str  # acme's first key
    other_key: str  # a valid key of another server
    unlisted_url: str


def modern_call(tool: str = "echo", arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    params = {"name": tool, "arguments": arguments or {"text": "hi"}, "_meta": META}
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}


def modern_headers(tool: str = "echo", key: str | None = None) -> dict[str, str]:
    headers = {
        "Accept": ACCEPT,
        "Content-Type": "application/json",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def runtime_of(client: TestClient) -> McpRuntime:
    runtime: McpRuntime = client.app_state["mcp"]
    return runtime


def tool_runs(client: TestClient) -> int:
    runner = runtime_of(client).runner
    assert runner is not None
    return sum(runner.calls.values())


@pytest.fixture
def world(ctx: AppContext) -> World:
    user = ctx.accounts.create_user("owner@example.com", "correct horse battery")
    actor = Actor(user.id, user.email)
    acme = ctx.servers.create(actor, name="Acme", subdomain="acme")
    other = ctx.servers.create(actor, name="Other", subdomain="other")
    hidden = ctx.servers.create(
        actor, name="Hidden", subdomain="hidden", security_mode=SecurityMode.UNLISTED
    )
    ctx.servers.create(actor, name="Open", subdomain="open", security_mode=SecurityMode.PUBLIC)
    tools = ToolService(ctx.db, ctx.clock)
    spec = ToolSpec(
        name="echo",
        description="Echo what the tool sees.",
        code=ECHO_CODE,
        parameters=(Parameter("text", "string", required=True),),
    )
    for subdomain in ("acme", "other", "hidden", "open"):
        tools.create(actor, subdomain, spec)
    assert acme.minted_key is not None
    assert other.minted_key is not None
    secret = ctx.servers.unlisted_secret(hidden.server)
    return World(
        actor, acme.minted_key.plaintext, other.minted_key.plaintext, f"/s/hidden/mcp/{secret}"
    )


def count_reads(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, the SQL of every statement the hot-path reader runs (key, session, tools)."""
    reader = runtime_of(client).repo.reader
    statements: list[str] = []
    fetchone, fetchall = reader.fetchone, reader.fetchall

    def one(sql: str, params: Any) -> Any:
        statements.append(" ".join(sql.split()))
        return fetchone(sql, params)

    def many(sql: str, params: Any) -> Any:
        statements.append(" ".join(sql.split()))
        return fetchall(sql, params)

    monkeypatch.setattr(reader, "fetchone", one)
    monkeypatch.setattr(reader, "fetchall", many)
    return statements
