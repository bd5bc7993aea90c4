"""Method handlers shared by both eras: tools, resources, prompts, logging, completion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import orjson

from toolkeep.mcp.errors import (
    INVALID_PARAMS,
    RESOURCE_NOT_FOUND,
    McpProtocolError,
    invalid_params,
)
from toolkeep.mcp.jsonrpc import dumps
from toolkeep.mcp.listing import ToolListing
from toolkeep.mcp.pagination import page_of
from toolkeep.mcp.ports import Exchange, RequestContext, ToolDescriptor, ToolSource
from toolkeep.mcp.stamps import stamp_modern

LOG_LEVELS: Final = frozenset(
    {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}
)


class Call:
    """One request's inputs, handed to a method handler."""

    __slots__ = ("ctx", "exchange", "modern", "params", "server_version", "tools")

    def __init__(
        self,
        ctx: RequestContext,
        params: dict[str, Any],
        exchange: Exchange,
        tools: ToolSource,
        server_version: str,
        modern: bool,
    ) -> None:
        self.ctx = ctx
        self.params = params
        self.exchange = exchange
        self.tools = tools
        self.server_version = server_version
        self.modern = modern


# A handler's result: a dict, or JSON rendered once and reused (tools/list of a ToolListing).
Result = dict[str, Any] | orjson.Fragment
Handler = Callable[[Call], Awaitable[Result]]


def tool_json(tool: ToolDescriptor) -> dict[str, Any]:
    """The wire form of a tool."""
    out: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "inputSchema": tool.input_schema,
    }
    if tool.title is not None:
        out["title"] = tool.title
    if tool.annotations is not None:
        out["annotations"] = tool.annotations
    if tool.output_schema is not None:
        out["outputSchema"] = tool.output_schema
    return out


async def tools_list(call: Call) -> Result:
    """``tools/list`` with cursor pagination in name order."""
    tools = await call.tools.list_tools(call.ctx)
    cursor = call.params.get("cursor")
    if type(tools) is not ToolListing or not (cursor is None or type(cursor) is str):
        return tools_page(tools, cursor)
    key = (cursor, call.ctx.server_name, call.server_version) if call.modern else (cursor,)
    page = tools.rendered(key)
    if page is None:
        result = tools_page(tools, cursor)
        if call.modern:
            result = stamp_modern("tools/list", result, call)
        page = tools.keep(key, dumps(result))
    return page


def tools_page(tools: Sequence[ToolDescriptor], cursor: Any) -> dict[str, Any]:
    """One ``tools/list`` result (before the 2026-07-28 stamp)."""
    page, next_cursor = page_of(tools, cursor)
    result: dict[str, Any] = {"tools": [tool_json(tool) for tool in page]}
    if next_cursor is not None:
        result["nextCursor"] = next_cursor
    return result


async def tools_call(call: Call) -> dict[str, Any]:
    """``tools/call``: run the tool through the ToolSource."""
    name = call.params.get("name")
    if type(name) is not str or not name:
        raise invalid_params("tools/call requires params.name (a non-empty string)")
    arguments = call.params.get("arguments")
    if arguments is None:
        arguments = {}
    elif type(arguments) is not dict:
        raise invalid_params("params.arguments must be an object")
    call.exchange.tool = name if len(name) <= 200 else name[:200] + "..."
    outcome = await call.tools.call_tool(call.ctx, name, arguments)
    if outcome is None:
        raise invalid_params(f"Unknown tool: {call.exchange.tool}")
    call.exchange.status = outcome.status
    result: dict[str, Any] = {"content": outcome.content, "isError": outcome.is_error}
    if outcome.structured_content is not None:
        result["structuredContent"] = outcome.structured_content
    return result


async def resources_list(call: Call) -> dict[str, Any]:
    """``resources/list``: hosted servers expose no resources."""
    return {"resources": []}


async def resource_templates_list(call: Call) -> dict[str, Any]:
    """``resources/templates/list``: none."""
    return {"resourceTemplates": []}


async def resources_read(call: Call) -> dict[str, Any]:
    """``resources/read``: every URI is unknown."""
    uri = call.params.get("uri")
    if type(uri) is not str:
        raise invalid_params("resources/read requires params.uri (a string)")
    code = INVALID_PARAMS if call.modern else RESOURCE_NOT_FOUND
    raise McpProtocolError(None, code, f"Resource not found: {uri}", {"uri": uri})


async def prompts_list(call: Call) -> dict[str, Any]:
    """``prompts/list``: hosted servers expose no prompts."""
    return {"prompts": []}


async def prompts_get(call: Call) -> dict[str, Any]:
    """``prompts/get``: every name is unknown."""
    name = call.params.get("name")
    if type(name) is not str:
        raise invalid_params("prompts/get requires params.name (a string)")
    raise invalid_params(f"Unknown prompt: {name}")


async def logging_set_level(call: Call) -> dict[str, Any]:
    """``logging/setLevel`` (legacy era): accepted, nothing is logged to the client."""
    level = call.params.get("level")
    if level not in LOG_LEVELS:
        raise invalid_params(
            "params.level must be one of: " + ", ".join(sorted(LOG_LEVELS)),
        )
    return {}


async def completion_complete(call: Call) -> dict[str, Any]:
    """``completion/complete``: no suggestions."""
    if type(call.params.get("ref")) is not dict:
        raise invalid_params("completion/complete requires params.ref (an object)")
    if type(call.params.get("argument")) is not dict:
        raise invalid_params("completion/complete requires params.argument (an object)")
    return {"completion": {"values": [], "hasMore": False}}


async def ping(call: Call) -> dict[str, Any]:
    """``ping`` (legacy era)."""
    return {}


COMMON: Final[dict[str, Handler]] = {
    "tools/list": tools_list,
    "tools/call": tools_call,
    "resources/list": resources_list,
    "resources/templates/list": resource_templates_list,
    "resources/read": resources_read,
    "prompts/list": prompts_list,
    "prompts/get": prompts_get,
    "completion/complete": completion_complete,
}
