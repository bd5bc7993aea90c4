"""The client harness works: each real client lists and calls ``add`` on a key-locked official-SDK
server with the right key, and fails cleanly without it; the auth shim is transparent; the
conformance suite runs through the shim and its summary parses.

Node-based tests skip only when ``tests/e2e/node/node_modules`` is missing (the Makefile always
installs it with ``npm ci --prefix tests/e2e/node``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp.shared.exceptions import MCPError

from tests.support.clients import (
    ClientTimeoutError,
    ConformanceRun,
    bearer_header,
    conformance,
    inspector_cli,
    mcp_remote_session,
    node_cmd,
    node_modules_missing,
    node_version,
    python_client,
    python_session,
)

_MISSING = node_modules_missing()
needs_node_clients = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")

ADD_ARGS = {"a": 2, "b": 3}
LEGACY_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "toolkeep-e2e", "version": "0"},
    },
}


def _text_blocks(result: Any) -> list[str]:
    return [block.text for block in result.content if getattr(block, "type", None) == "text"]


# --------------------------------------------------------------------------- node


def test_node_is_new_enough() -> None:
    assert node_version() >= (22, 0, 0), node_cmd()


# --------------------------------------------------------------------------- inspector


@needs_node_clients
@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_lists_and_calls_with_key(tiny_url: str, tiny_key: str, era: Any) -> None:
    header = bearer_header(tiny_key)
    listed = inspector_cli(tiny_url, header=header, method="tools/list", era=era)
    assert listed.ok, listed.describe()
    assert [tool["name"] for tool in listed.result["tools"]] == ["add"]
    assert tiny_key not in " ".join(listed.argv)  # redacted

    called = inspector_cli(
        tiny_url,
        header=header,
        method="tools/call",
        tool_name="add",
        tool_args_json=json.dumps(ADD_ARGS),
        era=era,
    )
    assert called.ok, called.describe()
    assert called.result["structuredContent"] == {"result": 5}
    assert called.result["content"] == [{"type": "text", "text": "5"}]
    assert called.result["isError"] is False


@needs_node_clients
@pytest.mark.parametrize("header", [None, bearer_header("wrong-key")], ids=["no-key", "wrong-key"])
def test_inspector_without_valid_key_is_auth_required(tiny_url: str, header: str | None) -> None:
    run = inspector_cli(tiny_url, header=header, method="tools/list", timeout=30)
    assert run.returncode == 3, run.describe()
    assert run.error_code == "auth_required", run.describe()
    assert run.result is None


@needs_node_clients
def test_inspector_reports_tool_errors(tiny_url: str, tiny_key: str) -> None:
    run = inspector_cli(
        tiny_url,
        header=bearer_header(tiny_key),
        method="tools/call",
        tool_name="nope",
        tool_args_json="{}",
    )
    assert run.returncode == 5, run.describe()
    assert run.error_code == "tool_not_found"


# --------------------------------------------------------------------------- mcp-remote


@needs_node_clients
@pytest.mark.anyio
@pytest.mark.parametrize("protocol", ["legacy", "auto"])
async def test_mcp_remote_lists_and_calls_with_key(
    tiny_url: str, tiny_key: str, protocol: Any
) -> None:
    async with mcp_remote_session(
        tiny_url, bearer_header(tiny_key), timeout=30, protocol=protocol
    ) as session:
        tools = await session.list_tools()
        assert [tool.name for tool in tools.tools] == ["add"]
        result = await session.call_tool("add", ADD_ARGS)
        assert result.is_error is False
        assert result.structured_content == {"result": 5}
        assert _text_blocks(result) == ["5"]


@needs_node_clients
@pytest.mark.anyio
@pytest.mark.parametrize("header", [None, bearer_header("wrong-key")], ids=["no-key", "wrong-key"])
async def test_mcp_remote_without_valid_key_fails_to_initialize(
    tiny_url: str, header: str | None
) -> None:
    # mcp-remote follows the 401's resource metadata into OAuth; dynamic client registration
    # against this server (no authorization server) fails and mcp-remote exits.
    started = time.monotonic()
    with pytest.raises(MCPError) as caught:
        async with mcp_remote_session(tiny_url, header, timeout=30) as session:
            await session.list_tools()
    assert time.monotonic() - started < 30
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "mcp-remote stderr" in notes
    assert "Dynamic Client Registration" in notes or "Authentication required" in notes, notes


# --------------------------------------------------------------------------- python SDK


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("mode", "negotiated"),
    [("legacy", "2025-11-25"), ("2026-07-28", "2026-07-28"), ("auto", "2026-07-28")],
)
async def test_python_client_lists_and_calls_with_key(
    tiny_url: str, tiny_key: str, mode: Any, negotiated: str
) -> None:
    async with python_client(tiny_url, tiny_key, mode) as client:
        assert client.protocol_version == negotiated
        tools = await client.list_tools()
        assert [tool.name for tool in tools.tools] == ["add"]
        result = await client.call_tool("add", ADD_ARGS)
        assert result.is_error is False
        assert result.structured_content == {"result": 5}
        assert _text_blocks(result) == ["5"]


@pytest.mark.anyio
async def test_python_session_handshake_and_ping(tiny_url: str, tiny_key: str) -> None:
    async with python_session(tiny_url, tiny_key) as session:
        await session.send_ping()
        result = await session.call_tool("add", ADD_ARGS)
        assert result.structured_content == {"result": 5}


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "2026-07-28", "auto"])
@pytest.mark.parametrize("key", [None, "wrong-key"], ids=["no-key", "wrong-key"])
async def test_python_client_without_valid_key_raises(
    tiny_url: str, key: str | None, mode: Any
) -> None:
    with pytest.raises(MCPError) as caught:
        async with python_client(tiny_url, key, mode, timeout=10) as client:
            await client.list_tools()
    assert "error response" in str(caught.value)


# --------------------------------------------------------------------------- shim


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_shim_injects_the_key(tiny_shim: str, mode: Any) -> None:
    async with python_client(tiny_shim + "/mcp", None, mode) as client:
        result = await client.call_tool("add", ADD_ARGS)
        assert result.structured_content == {"result": 5}


def test_shim_passes_status_codes_host_origin_and_sessions(tiny_shim: str) -> None:
    url = tiny_shim + "/mcp"
    with httpx.Client(timeout=10) as http:
        # Accept without text/event-stream: the SDK's 406, untouched.
        only_json = {**LEGACY_HEADERS, "Accept": "application/json"}
        assert http.post(url, json=INITIALIZE, headers=only_json).status_code == 406
        # Host forwarded as sent: the upstream's DNS-rebinding check answers 421.
        foreign_host = {**LEGACY_HEADERS, "Host": "evil.example.com"}
        assert http.post(url, json=INITIALIZE, headers=foreign_host).status_code == 421
        # Origin forwarded as sent: 403.
        evil_origin = {**LEGACY_HEADERS, "Origin": "http://evil.example.com"}
        assert http.post(url, json=INITIALIZE, headers=evil_origin).status_code == 403

        init = http.post(url, json=INITIALIZE, headers=LEGACY_HEADERS)
        assert init.status_code == 200
        assert init.headers["content-type"].startswith("text/event-stream")
        assert init.headers["x-accel-buffering"] == "no"
        session_id = init.headers["mcp-session-id"]
        in_session = {
            **LEGACY_HEADERS,
            "Mcp-Session-Id": session_id,
            "MCP-Protocol-Version": "2025-11-25",
        }
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        accepted = http.post(url, json=initialized, headers=in_session)
        assert (accepted.status_code, accepted.content) == (202, b"")
        bad_version = {**in_session, "MCP-Protocol-Version": "1999-01-01"}
        ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
        assert http.post(url, json=ping, headers=bad_version).status_code == 400

        # The standalone GET stream comes back at once (headers are not buffered) ...
        get_headers = {k: v for k, v in in_session.items() if k != "Content-Type"}
        get_headers["Accept"] = "text/event-stream"
        with http.stream("GET", url, headers=get_headers, timeout=5) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
        # ... and DELETE ends the session: afterwards the upstream's 404.
        assert http.delete(url, headers=in_session).status_code == 200
        assert http.post(url, json=ping, headers=in_session).status_code == 404

        # Any other path and query go through as well.
        prm = http.get(tiny_shim + "/.well-known/oauth-protected-resource/mcp?x=%2F1")
        assert prm.status_code == 200
        assert prm.json()["resource"].endswith("/mcp")
        assert http.get(tiny_shim + "/nope?x=1").status_code == 404


# --------------------------------------------------------------------------- conformance


@pytest.fixture(scope="module")
def full_2025_run(tiny_shim: str) -> ConformanceRun:
    return conformance(tiny_shim + "/mcp", "2025-11-25")


@needs_node_clients
def test_conformance_full_run_through_shim_parses(full_2025_run: ConformanceRun) -> None:
    run = full_2025_run
    assert run.passed is not None, run.describe()
    assert run.failed is not None, run.describe()
    assert run.passed > 0
    # The tiny server has none of the suite's fixture tools, so the run fails (exit 1) ...
    assert run.returncode == 1, run.describe()
    assert run.failed > 0
    # ... but everything that needs only a working, reachable endpoint passes through the shim.
    for scenario in (
        "server-initialize",
        "ping",
        "tools-list",
        "server-sse-multiple-streams",
        "server-session-lifecycle",
        "dns-rebinding-protection",
    ):
        passed, failed = run.scenarios[scenario]
        assert failed == 0, f"{scenario}: {run.describe()}"
        assert passed > 0, f"{scenario}: {run.describe()}"
    assert "server-sse-polling" in run.not_scored


@needs_node_clients
def test_conformance_expected_failures_baseline(
    tiny_shim: str, full_2025_run: ConformanceRun, tmp_path: Path
) -> None:
    run = full_2025_run
    scored_failures = [s for s in run.failing_scenarios if s not in run.not_scored]
    assert scored_failures, run.describe()
    baseline = tmp_path / "expected-failures.yml"
    baseline.write_text("server:\n" + "".join(f"  - {s}\n" for s in scored_failures))
    baselined = conformance(tiny_shim + "/mcp", "2025-11-25", expected_failures=baseline)
    assert baselined.returncode == 0, baselined.describe()
    assert "all failures are expected" in baselined.stdout


@needs_node_clients
@pytest.mark.parametrize(
    ("requirements", "scenario"),
    [
        ("2025-11-25", "server-initialize"),
        ("2025-11-25", "ping"),
        ("2025-11-25", "tools-list"),
        ("2026-07-28", "tools-list"),
        ("2026-07-28", "caching"),
    ],
)
def test_conformance_single_scenario_through_shim(
    tiny_shim: str, requirements: Any, scenario: str
) -> None:
    run = conformance(tiny_shim + "/mcp", requirements, scenario=scenario, timeout=60)
    assert run.ok, run.describe()
    assert run.failed == 0, run.describe()
    assert run.passed is not None, run.describe()
    assert run.passed > 0
    assert run.scenarios == {scenario: (run.passed, 0)}


@needs_node_clients
def test_conformance_cannot_pass_auth_without_the_shim(tiny_url: str) -> None:
    run = conformance(tiny_url, "2025-11-25", scenario="server-initialize", timeout=60)
    assert run.returncode == 1, run.describe()
    assert run.failed, run.describe()
    assert "invalid_token" in run.stdout


@needs_node_clients
def test_client_subprocess_timeout_kills_and_reports(tiny_url: str, tiny_key: str) -> None:
    started = time.monotonic()
    with pytest.raises(ClientTimeoutError) as caught:
        inspector_cli(tiny_url, header=bearer_header(tiny_key), method="tools/list", timeout=0.1)
    assert time.monotonic() - started < 10
    assert caught.value.run.returncode < 0  # killed by a signal
    assert tiny_key not in str(caught.value)


@pytest.mark.anyio
async def test_harness_helpers_bound_time(tiny_url: str, tiny_key: str) -> None:
    """python_client's fail_after covers the body too, so a hung test cannot hang the suite."""
    with pytest.raises(TimeoutError):
        async with python_client(tiny_url, tiny_key, "legacy", timeout=2):
            await anyio.sleep(10)
