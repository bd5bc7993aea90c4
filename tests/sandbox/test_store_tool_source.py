"""StoreToolSource end to end: stored tools, argument validation, the real runner, mapping."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from toolkeep.actors import Actor
from toolkeep.context import AppContext
from toolkeep.mcp.ports import RequestContext, ToolCallOutcome, ToolDescriptor
from toolkeep.sandbox.catalog import StoreToolSource
from toolkeep.sandbox.execution import ToolExecutor
from toolkeep.sandbox.inprocess import ThreadedQuickJsRunner
from toolkeep.sandbox.runner import ToolInvocation, ToolRunResult
from toolkeep.servers.models import SecurityMode
from toolkeep.tools.models import Parameter, Tool, ToolChanges, ToolSpec
from toolkeep.tools.service import ToolService

pytestmark = pytest.mark.anyio

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city",
    code="""
    console.log('looking up', params.city);
    if (params.city === 'Atlantis') throw new Error('City not found');
    return {city: params.city, days: params.days, key: env.WEATHER_KEY};
    """,
    parameters=(
        Parameter("city", "string", "The city", required=True),
        Parameter("days", "integer", "Days ahead", default=1),
    ),
)
GREET = ToolSpec(
    "greet",
    "Say hello",
    "return `Hello, ${params.name}!`",
    (Parameter("name", "string", required=True),),
)


@dataclass
class Stored:
    service: ToolService
    actor: Actor
    server_id: uuid.UUID
    env: dict[str, str] = field(default_factory=dict)
    env_reads: int = 0

    def load_tools(self, server_id: uuid.UUID) -> Sequence[Tool]:
        return self.service.for_server(server_id)

    def load_env(self, server_id: uuid.UUID) -> Mapping[str, str]:
        assert server_id == self.server_id
        self.env_reads += 1
        return self.env

    def request(self) -> RequestContext:
        return RequestContext(
            server_id=self.server_id,
            server_name="Weather",
            subdomain="acme-weather",
            kid=None,
            client_ip="127.0.0.1",
            request_id="req-1",
        )


@dataclass
class SpyRunner:
    """A runner that records invocations and answers a fixed result."""

    calls: list[ToolInvocation] = field(default_factory=list)

    async def run(self, invocation: ToolInvocation) -> ToolRunResult:
        self.calls.append(invocation)
        return ToolRunResult("spied")

    async def aclose(self) -> None:
        return None


@pytest.fixture
def stored(ctx: AppContext, anyio_backend: str) -> Stored:
    user = ctx.accounts.create_user("alice@example.com", "correct horse battery")
    actor = Actor(user_id=user.id, name=user.email)
    server = ctx.servers.create(
        actor, name="Weather", subdomain="acme-weather", security_mode=SecurityMode.PUBLIC
    ).server
    service = ToolService(ctx.db, ctx.clock)
    service.create(actor, "acme-weather", WEATHER)
    service.create(actor, "acme-weather", GREET)
    return Stored(service, actor, server.id, env={"WEATHER_KEY": "wk-1"})


def source(stored: Stored, runner: ThreadedQuickJsRunner | SpyRunner) -> StoreToolSource:
    return StoreToolSource(stored.load_tools, ToolExecutor(runner, stored.load_env))


async def test_stored_tools_are_listed_with_their_json_schema(
    stored: Stored, runner: ThreadedQuickJsRunner
) -> None:
    listed = await source(stored, runner).list_tools(stored.request())
    assert [t.name for t in listed] == ["get_weather", "greet"]
    weather = listed[0]
    assert weather == ToolDescriptor(
        name="get_weather",
        description="Current weather for a city",
        input_schema={
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city"},
                "days": {"type": "integer", "description": "Days ahead", "default": 1},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    )


async def test_a_call_runs_the_stored_code_with_defaults_and_env(
    stored: Stored, runner: ThreadedQuickJsRunner
) -> None:
    outcome = await source(stored, runner).call_tool(
        stored.request(), "get_weather", {"city": "Oslo"}
    )
    assert outcome is not None
    assert outcome.structured_content == {"city": "Oslo", "days": 1, "key": "wk-1"}
    assert (outcome.is_error, outcome.status) == (False, 200)
    greeting = await source(stored, runner).call_tool(stored.request(), "greet", {"name": "Bo"})
    assert greeting == ToolCallOutcome(content=[{"type": "text", "text": "Hello, Bo!"}])


async def test_a_thrown_error_is_an_error_result_with_the_line(
    stored: Stored, runner: ThreadedQuickJsRunner
) -> None:
    outcome = await source(stored, runner).call_tool(
        stored.request(), "get_weather", {"city": "Atlantis"}
    )
    assert outcome == ToolCallOutcome(
        content=[{"type": "text", "text": "Error: City not found (line 3)"}],
        is_error=True,
        status=500,
    )


async def test_invalid_arguments_answer_400_without_running_code_or_reading_env(
    stored: Stored,
) -> None:
    spy = SpyRunner()
    tools = source(stored, spy)
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "Argument 'city' is required."),
        ({"city": "Oslo", "days": "2"}, "Argument 'days' must be an integer, got string."),
        ({"city": "Oslo", "x": 1}, "Unknown argument 'x'; this tool accepts: city, days."),
    ]
    for arguments, message in cases:
        outcome = await tools.call_tool(stored.request(), "get_weather", arguments)
        assert outcome == ToolCallOutcome(
            content=[{"type": "text", "text": message}], is_error=True, status=400
        )
    assert spy.calls == []
    assert stored.env_reads == 0


async def test_the_invocation_carries_the_checked_arguments_and_the_limits(
    stored: Stored,
) -> None:
    spy = SpyRunner()
    executor = ToolExecutor(spy, stored.load_env, timeout_s=5.0, memory_limit_bytes=1 << 24)
    tools = StoreToolSource(stored.load_tools, executor)
    await tools.call_tool(stored.request(), "get_weather", {"city": "Oslo"})
    (call,) = spy.calls
    assert (call.server_id, call.tool_name, call.arguments) == (
        stored.server_id,
        "get_weather",
        {"city": "Oslo", "days": 1},
    )
    assert (call.timeout_s, call.memory_limit_bytes) == (5.0, 1 << 24)
    assert dict(call.env) == {"WEATHER_KEY": "wk-1"}
    assert "wk-1" not in repr(call)


async def test_an_unknown_tool_is_none(stored: Stored, runner: ThreadedQuickJsRunner) -> None:
    assert await source(stored, runner).call_tool(stored.request(), "nope", {}) is None


async def test_a_saved_change_is_live_on_the_next_call(
    stored: Stored, runner: ThreadedQuickJsRunner
) -> None:
    tools = source(stored, runner)
    stored.service.update(
        stored.actor, "acme-weather", "greet", ToolChanges(name="hello", code="return 'hi'")
    )
    assert await tools.call_tool(stored.request(), "greet", {"name": "Bo"}) is None
    outcome = await tools.call_tool(stored.request(), "hello", {"name": "Bo"})
    assert outcome == ToolCallOutcome(content=[{"type": "text", "text": "hi"}])


async def test_a_timeout_is_an_error_result_recorded_as_504(
    stored: Stored, runner: ThreadedQuickJsRunner
) -> None:
    stored.service.update(
        stored.actor, "acme-weather", "greet", ToolChanges(code="while (true) {}")
    )
    tools = StoreToolSource(stored.load_tools, ToolExecutor(runner, stored.load_env, timeout_s=0.3))
    outcome = await tools.call_tool(stored.request(), "greet", {"name": "Bo"})
    assert outcome == ToolCallOutcome(
        content=[{"type": "text", "text": "Tool timed out after 0.3 s"}], is_error=True, status=504
    )
