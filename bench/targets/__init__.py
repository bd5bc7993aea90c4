"""The benchmark targets: how to prepare each one and how uvicorn should load it.

The apps themselves live in the sibling modules and are imported only by their own uvicorn
process, never by the harness (so the harness does not pay for importing ``mcp``/``fastmcp``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Form = Literal["modern", "legacy"]
"""How an MCP request is spelled: 2026-07-28 (stateless, ``_meta`` + headers) or 2025-11-25
(what today's desktop clients send: plain JSON-RPC, within a session on a session-era server)."""
FORMS: tuple[Form, ...] = ("modern", "legacy")


@dataclass(frozen=True, slots=True)
class Prepared:
    mcp_path: str
    key: str | None
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    app_args: tuple[str, ...]  # what follows ``python -m uvicorn``
    ready_path: str
    scenarios: tuple[str, ...]  # the scenarios this target supports
    forms: tuple[Form, ...]  # the forms the per-form scenarios (FORM_SCENARIOS) are sent in
    prepare: Callable[[Path], Prepared]
    description: str
    floor: bool = False  # not an MCP server: answers 200 to everything, nothing to probe
    # Legacy form needs a session: initialize + notifications/initialized once during setup,
    # then Mcp-Session-Id on every request (Toolkeep). False: the legacy form is stateless
    # (the SDK and FastMCP with stateless_http serve 2025-11-25 requests without a session).
    legacy_session: bool = False


def _static_key_target(mcp_path: str) -> Callable[[Path], Prepared]:
    def prepare(workdir: Path) -> Prepared:
        key = "bench-" + secrets.token_urlsafe(24)
        return Prepared(mcp_path=mcp_path, key=key, env={"BENCH_API_KEY": key})

    return prepare


def _prepare_hello(workdir: Path) -> Prepared:
    return Prepared(mcp_path="/mcp", key=None)


def _prepare_toolkeep(workdir: Path) -> Prepared:
    from bench.targets.toolkeep import prepare_toolkeep, server_env  # imports toolkeep

    data_dir = workdir / "toolkeep-data"
    mcp_path, key = prepare_toolkeep(data_dir)
    return Prepared(mcp_path=mcp_path, key=key, env=server_env(data_dir))


DEFAULT_SCENARIOS = ("tools_list", "tools_call", "tools_call_lodash", "unauthorized", "initialize")
ALL_SCENARIOS = DEFAULT_SCENARIOS
# Run once per form; the others once. tools_call_lodash: tools/call of ``stats`` (lodash in
# Toolkeep, plain Python in sdk/fastmcp); tools_call: ``add``, the trivial tool.
FORM_SCENARIOS = ("tools_list", "tools_call", "tools_call_lodash")
TOOL_SCENARIOS = ("tools_call", "tools_call_lodash")  # the tool runtime comparison

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            name="sdk",
            app_args=("--factory", "bench.targets.sdk_server:create_app"),
            ready_path="/",
            scenarios=ALL_SCENARIOS,
            forms=FORMS,
            prepare=_static_key_target("/mcp"),
            description="mcp 2.3.0 MCPServer, stateless_http + json_response, static "
            "TokenVerifier, plain-Python tools add and stats",
        ),
        Target(
            name="fastmcp",
            app_args=("--factory", "bench.targets.fastmcp_server:create_app"),
            ready_path="/",
            scenarios=ALL_SCENARIOS,
            forms=FORMS,
            prepare=_static_key_target("/mcp"),
            description="FastMCP 4.2.3, stateless_http + json_response, StaticTokenVerifier, "
            "plain-Python tools add and stats (sync, FastMCP's worker thread)",
        ),
        Target(
            name="hello",
            app_args=("bench.targets.hello:app",),
            ready_path="/",
            scenarios=("unauthorized",),
            forms=("modern",),
            prepare=_prepare_hello,
            description="empty pure-ASGI app, 200 {} to everything (HTTP round-trip floor)",
            floor=True,
        ),
        Target(
            name="toolkeep",
            app_args=("--factory", "toolkeep.app:create_app"),
            ready_path="/healthz",
            scenarios=ALL_SCENARIOS,
            forms=FORMS,
            prepare=_prepare_toolkeep,
            description="Toolkeep (toolkeep.app:create_app), server 'bench' in api_key mode, "
            "JS tools add and stats (lodash) in the sandbox worker pool; legacy form within one "
            "session",
            legacy_session=True,
        ),
    )
}
