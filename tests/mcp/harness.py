"""Shared test helpers: a small real ToolSource, a context-injecting ASGI wrapper, requests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from toolkeep.mcp import (
    Exchange,
    McpEndpoint,
    RequestContext,
    ToolCallOutcome,
    ToolDescriptor,
)
from toolkeep.mcp.asgi import Receive, Scope, Send

SERVER_ID: Final = uuid.UUID("00000000-0000-4000-8000-000000000001")
MODERN: Final = "2026-07-28"
PV_KEY: Final = "io.modelcontextprotocol/protocolVersion"
CAPS_KEY: Final = "io.modelcontextprotocol/clientCapabilities"
INFO_KEY: Final = "io.modelcontextprotocol/clientInfo"
ACCEPT_BOTH: Final = "application/json, text/event-stream"
JSON_HEADERS: Final = {"accept": ACCEPT_BOTH, "content-type": "application/json"}

ADD: Final = ToolDescriptor(
    name="add",
    description="Add two numbers",
    input_schema={
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a", "b"],
    },
    output_schema={
        "type": "object",
        "properties": {"result": {"type": "number"}},
        "required": ["result"],
    },
    title="Adder",
    annotations={"readOnlyHint": True},
)
ECHO: Final = ToolDescriptor(
    name="echo",
    description="Echo a message",
    input_schema={"type": "object", "properties": {"message": {"type": "string"}}},
)
BOOM: Final = ToolDescriptor(
    name="boom", description="Always crashes", input_schema={"type": "object"}
)


def make_ctx(*, kid: str | None = "kid_a", server_id: uuid.UUID = SERVER_ID) -> RequestContext:
    return RequestContext(
        server_id=server_id,
        server_name="demo-server",
        subdomain="demo",
        kid=kid,
        client_ip="127.0.0.1",
        request_id="req-1",
    )


@dataclass
class DemoTools:
    """A real ToolSource: ``add``, ``echo``, ``boom`` plus ``extra`` filler tools."""

    extra: int = 0
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def list_tools(self, ctx: RequestContext) -> Sequence[ToolDescriptor]:
        filler = [
            ToolDescriptor(
                name=f"t_{i:04d}", description=f"Filler {i}", input_schema={"type": "object"}
            )
            for i in range(self.extra)
        ]
        return [ECHO, *filler, BOOM, ADD]

    async def call_tool(
        self, ctx: RequestContext, name: str, arguments: dict[str, Any]
    ) -> ToolCallOutcome | None:
        self.calls.append((name, arguments))
        if name == "add":
            a, b = arguments.get("a"), arguments.get("b")
            if not isinstance(a, int | float) or not isinstance(b, int | float):
                text = "a and b must be numbers"
                return ToolCallOutcome([{"type": "text", "text": text}], is_error=True, status=400)
            total = a + b
            return ToolCallOutcome([{"type": "text", "text": str(total)}], {"result": total})
        if name == "echo":
            return ToolCallOutcome([{"type": "text", "text": str(arguments.get("message", ""))}])
        if name == "boom":
            raise RuntimeError("secret-detail-from-traceback")
        return None


class ContextApp:
    """The auth layer's stand-in: injects a RequestContext and records each Exchange."""

    def __init__(self, endpoint: McpEndpoint, ctx: RequestContext) -> None:
        self.endpoint = endpoint
        self.ctx = ctx
        self.exchanges: list[Exchange] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["toolkeep.ctx"] = self.ctx
        await self.endpoint(scope, receive, send)
        if scope["type"] == "http":
            self.exchanges.append(scope["toolkeep.exchange"])

    @property
    def last(self) -> Exchange:
        return self.exchanges[-1]


def rpc(method: str, params: dict[str, Any] | None = None, msg_id: int | str = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        body["params"] = params
    return body


def modern_meta(version: str = MODERN, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        PV_KEY: version,
        CAPS_KEY: {},
        INFO_KEY: {"name": "modern-client", "version": "2.0"},
    }
    meta.update(extra)
    return meta


def modern_rpc(
    method: str, params: dict[str, Any] | None = None, msg_id: int = 1
) -> dict[str, Any]:
    return rpc(method, {**(params or {}), "_meta": modern_meta()}, msg_id)


def modern_headers(method: str, name: str | None = None, version: str = MODERN) -> dict[str, str]:
    headers = {**JSON_HEADERS, "mcp-protocol-version": version, "mcp-method": method}
    if name is not None:
        headers["mcp-name"] = name
    return headers


async def post_modern(
    client: httpx.AsyncClient, method: str, params: dict[str, Any] | None = None
) -> httpx.Response:
    name = None
    if params is not None:
        name = params.get("name", params.get("uri"))
    return await client.post(
        "/mcp", json=modern_rpc(method, params), headers=modern_headers(method, name)
    )


async def initialize(client: httpx.AsyncClient, version: str = "2025-11-25") -> str:
    params = {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "legacy-client", "version": "1.2.3"},
    }
    response = await client.post("/mcp", json=rpc("initialize", params), headers=JSON_HEADERS)
    assert response.status_code == 200, response.text
    session_id = response.headers["mcp-session-id"]
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    acked = await client.post("/mcp", json=note, headers=session_headers(session_id))
    assert acked.status_code == 202
    return session_id


def session_headers(session_id: str, version: str | None = "2025-11-25") -> dict[str, str]:
    headers = {**JSON_HEADERS, "mcp-session-id": session_id}
    if version is not None:
        headers["mcp-protocol-version"] = version
    return headers


async def post_legacy(
    client: httpx.AsyncClient, session_id: str, method: str, params: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post("/mcp", json=rpc(method, params), headers=session_headers(session_id))


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["jsonrpc"] == "2.0"
    assert "result" not in body
    error: dict[str, Any] = body["error"]
    return error
