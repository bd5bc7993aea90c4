"""Real MCP clients against a real Toolkeep: API Key mode end to end.

One Toolkeep (SQLite) serves the module: server ``acme`` (API Key mode; tools ``add`` and
``echo``), a revoked second key of ``acme``, and a server ``other`` with its own key. Every
client runs against both endpoint forms: the path form ``/s/acme/mcp`` and the base-domain
form ``acme.mcp.test/mcp`` (see ``toolkeep_fixture.py`` for how that name is reached).

With acme's key each client lists and calls the tools. Without a key, with another server's
key, or with a revoked key each client fails cleanly, and the server's own record of the
traffic shows a bare RFC 6750 challenge (no RFC 9728 ``resource_metadata``) and no OAuth
endpoint answering anything but 404.

The conformance suite runs through the auth shim with checked-in expected-failure baselines
(``conformance-baseline-<revision>.yml``) that list only scenarios whose fixtures Toolkeep does
not host; each baselined failure is checked to be exactly that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
import yaml
from mcp.shared.exceptions import MCPError

from tests.e2e.toolkeep_fixture import (
    BASE_DOMAIN,
    Endpoint,
    Seen,
    Toolkeep,
    hosts_wrap,
    hosts_wrap_unavailable,
    running_toolkeep,
)
from tests.support.clients import (
    Requirements,
    bearer_header,
    conformance,
    inspector_cli,
    mcp_remote_session,
    node_modules_missing,
    python_client,
)
from tests.support.shim import auth_shim

pytestmark = pytest.mark.anyio

_MISSING = node_modules_missing()
needs_node_clients = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")

HERE = Path(__file__).resolve().parent
ADD_ARGS = {"a": 2, "b": 3}
TOOL_NAMES = ["add", "echo"]
PYTHON_TIMEOUT = 15.0
NODE_TIMEOUT = 45.0

Refusal = Literal["no-key", "other-server-key", "revoked-key"]
REFUSALS: tuple[Refusal, ...] = ("no-key", "other-server-key", "revoked-key")
# RFC 6750 challenges; never a resource_metadata parameter (API Key mode runs no OAuth).
CHALLENGES: dict[Refusal, str] = {
    "no-key": 'Bearer realm="acme"',
    "other-server-key": (
        'Bearer realm="acme", error="invalid_token", error_description="Invalid API key"'
    ),
    "revoked-key": (
        'Bearer realm="acme", error="invalid_token", error_description="API key revoked"'
    ),
}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def toolkeep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Toolkeep]:
    with running_toolkeep(tmp_path_factory.mktemp("toolkeep")) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def name_wrap(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    """The argv prefix under which ``acme.mcp.test`` resolves to 127.0.0.1 (Node clients)."""
    return hosts_wrap(tmp_path_factory.mktemp("hosts"), [f"acme.{BASE_DOMAIN}"])


@pytest.fixture(scope="module")
def name_wrap_problem(name_wrap: tuple[str, ...]) -> str | None:
    if _MISSING is not None:
        return _MISSING
    return hosts_wrap_unavailable(name_wrap, f"acme.{BASE_DOMAIN}")


@pytest.fixture(params=["path", "host"])
def endpoint(
    request: pytest.FixtureRequest, toolkeep: Toolkeep, name_wrap: tuple[str, ...]
) -> Endpoint:
    if request.param == "path":
        return toolkeep.path_endpoint
    return toolkeep.host_endpoint(name_wrap)


@pytest.fixture
def node_endpoint(endpoint: Endpoint, name_wrap_problem: str | None) -> Endpoint:
    """``endpoint`` for a Node client; the base-domain form needs the /etc/hosts wrapper."""
    if endpoint.form == "host" and name_wrap_problem is not None:
        pytest.skip(name_wrap_problem)
    return endpoint


def _key(toolkeep: Toolkeep, refusal: Refusal) -> str | None:
    return {
        "no-key": None,
        "other-server-key": toolkeep.keys.other,
        "revoked-key": toolkeep.keys.acme_revoked,
    }[refusal]


# --------------------------------------------------------------------------- assertions


def _expected_host(toolkeep: Toolkeep, endpoint: Endpoint) -> str:
    if endpoint.form == "host":
        return f"acme.{BASE_DOMAIN}:{toolkeep.port}"
    return f"127.0.0.1:{toolkeep.port}"


def _traffic(seen: Sequence[Seen]) -> str:
    return "server saw:\n" + ("\n".join(f"  {s}" for s in seen) or "  (nothing)")


def assert_served(seen: Sequence[Seen], toolkeep: Toolkeep, endpoint: Endpoint) -> None:
    """Every request of the run came under the expected Host; those to the endpoint succeeded
    (or were a GET answered 405, the spec's "no standalone stream here"), and anything else
    was an OAuth discovery probe answered 404 (mcp-remote probes even with a working key)."""
    assert any(s.path == endpoint.mcp_path for s in seen), _traffic(seen)
    host = _expected_host(toolkeep, endpoint)
    for request in seen:
        assert request.host == host, _traffic(seen)
        assert request.status is not None, _traffic(seen)
        if request.path != endpoint.mcp_path:
            assert request.is_oauth, _traffic(seen)
            assert request.status == 404, _traffic(seen)
        elif not (request.method == "GET" and request.status == 405):
            assert 200 <= request.status < 300, _traffic(seen)


def assert_refused_without_oauth(
    seen: Sequence[Seen],
    toolkeep: Toolkeep,
    endpoint: Endpoint,
    refusal: Refusal,
    *,
    oauth_probes: bool = False,
) -> None:
    """The endpoint answered only 401 with the bare Bearer challenge. With ``oauth_probes``
    the client may also have tried OAuth (discovery, registration...), but every such request
    got a 404, so no attempt got anywhere; without it the client tried nothing else at all."""
    if not oauth_probes:
        assert all(s.path == endpoint.mcp_path for s in seen), _traffic(seen)
    at_endpoint = [s for s in seen if s.path == endpoint.mcp_path]
    assert at_endpoint, "the client never reached the endpoint; " + _traffic(seen)
    host = _expected_host(toolkeep, endpoint)
    for request in at_endpoint:
        assert request.host == host, _traffic(seen)
        assert request.status == 401, _traffic(seen)
        assert request.www_authenticate == (CHALLENGES[refusal],), _traffic(seen)
    for request in seen:
        assert "resource_metadata" not in " ".join(request.www_authenticate), _traffic(seen)
        if request.path != endpoint.mcp_path:
            assert request.status == 404, _traffic(seen)
    assert not [s for s in seen if s.is_oauth and s.status != 404], _traffic(seen)


def _texts(result: Any) -> list[str]:
    return [block.text for block in result.content if getattr(block, "type", None) == "text"]


# --------------------------------------------------------------------------- python SDK


@pytest.mark.parametrize(
    ("mode", "negotiated"), [("legacy", "2025-11-25"), ("2026-07-28", "2026-07-28")]
)
async def test_python_client_lists_and_calls_tools_with_the_key(
    toolkeep: Toolkeep, endpoint: Endpoint, mode: Any, negotiated: str
) -> None:
    mark = toolkeep.traffic.mark()
    async with python_client(
        endpoint.python_url,
        toolkeep.keys.acme,
        mode,
        timeout=PYTHON_TIMEOUT,
        headers=endpoint.python_headers,
    ) as client:
        assert client.protocol_version == negotiated
        listed = await client.list_tools()
        assert sorted(tool.name for tool in listed.tools) == TOOL_NAMES
        added = await client.call_tool("add", ADD_ARGS)
        assert added.is_error is False
        assert _texts(added) == ["5"]
        assert added.structured_content == {"result": 5}
        echoed = await client.call_tool("echo", {"text": "héllo"})
        assert echoed.is_error is False
        assert _texts(echoed) == ["héllo"]
    assert_served(toolkeep.traffic.since(mark), toolkeep, endpoint)


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
@pytest.mark.parametrize("refusal", REFUSALS)
async def test_python_client_raises_without_a_valid_key_and_never_tries_oauth(
    toolkeep: Toolkeep, endpoint: Endpoint, mode: Any, refusal: Refusal
) -> None:
    mark = toolkeep.traffic.mark()
    with pytest.raises(MCPError):
        async with python_client(
            endpoint.python_url,
            _key(toolkeep, refusal),
            mode,
            timeout=PYTHON_TIMEOUT,
            headers=endpoint.python_headers,
        ) as client:
            await client.list_tools()
    assert_refused_without_oauth(toolkeep.traffic.since(mark), toolkeep, endpoint, refusal)


# --------------------------------------------------------------------------- mcp-remote


@needs_node_clients
@pytest.mark.parametrize("protocol", ["legacy", "auto"])
async def test_mcp_remote_lists_and_calls_tools_with_the_key(
    toolkeep: Toolkeep, node_endpoint: Endpoint, protocol: Any
) -> None:
    mark = toolkeep.traffic.mark()
    async with mcp_remote_session(
        node_endpoint.url,
        bearer_header(toolkeep.keys.acme),
        timeout=NODE_TIMEOUT,
        protocol=protocol,
        wrap=node_endpoint.wrap,
    ) as session:
        listed = await session.list_tools()
        assert sorted(tool.name for tool in listed.tools) == TOOL_NAMES
        added = await session.call_tool("add", ADD_ARGS)
        assert added.is_error is False
        assert _texts(added) == ["5"]
        assert added.structured_content == {"result": 5}
    assert_served(toolkeep.traffic.since(mark), toolkeep, node_endpoint)


@needs_node_clients
@pytest.mark.parametrize("refusal", REFUSALS)
async def test_mcp_remote_fails_to_initialize_without_a_valid_key_as_its_oauth_attempt_gets_404(
    toolkeep: Toolkeep, node_endpoint: Endpoint, refusal: Refusal
) -> None:
    """On any 401, mcp-remote falls back to OAuth discovery at the server root and then tries
    dynamic client registration (POST /register): each answers our JSON 404
    (``oauth_not_enabled``), so it gives up at once, with no browser or callback flow."""
    key = _key(toolkeep, refusal)
    mark = toolkeep.traffic.mark()
    with pytest.raises(MCPError) as caught:
        async with mcp_remote_session(
            node_endpoint.url,
            bearer_header(key) if key else None,
            timeout=NODE_TIMEOUT,
            wrap=node_endpoint.wrap,
        ):
            pytest.fail("mcp-remote initialized without a valid key")
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    for secret in toolkeep.keys.secrets():
        assert secret not in notes
    assert "oauth_not_enabled" in notes, notes
    seen = toolkeep.traffic.since(mark)
    assert_refused_without_oauth(seen, toolkeep, node_endpoint, refusal, oauth_probes=True)


# --------------------------------------------------------------------------- inspector


@needs_node_clients
@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_lists_and_calls_tools_with_the_key(
    toolkeep: Toolkeep, node_endpoint: Endpoint, era: Any
) -> None:
    header = bearer_header(toolkeep.keys.acme)
    mark = toolkeep.traffic.mark()
    listed = inspector_cli(
        node_endpoint.url,
        header=header,
        method="tools/list",
        era=era,
        timeout=NODE_TIMEOUT,
        wrap=node_endpoint.wrap,
    )
    assert listed.ok, listed.describe()
    assert sorted(tool["name"] for tool in listed.result["tools"]) == TOOL_NAMES
    called = inspector_cli(
        node_endpoint.url,
        header=header,
        method="tools/call",
        tool_name="add",
        tool_args_json=json.dumps(ADD_ARGS),
        era=era,
        timeout=NODE_TIMEOUT,
        wrap=node_endpoint.wrap,
    )
    assert called.ok, called.describe()
    assert called.result["content"] == [{"type": "text", "text": "5"}]
    assert called.result["structuredContent"] == {"result": 5}
    assert called.result["isError"] is False
    assert_served(toolkeep.traffic.since(mark), toolkeep, node_endpoint)


@needs_node_clients
@pytest.mark.parametrize("refusal", REFUSALS)
def test_inspector_exits_auth_required_without_a_valid_key_and_never_tries_oauth(
    toolkeep: Toolkeep, node_endpoint: Endpoint, refusal: Refusal
) -> None:
    key = _key(toolkeep, refusal)
    mark = toolkeep.traffic.mark()
    run = inspector_cli(
        node_endpoint.url,
        header=bearer_header(key) if key else None,
        method="tools/list",
        timeout=NODE_TIMEOUT,
        wrap=node_endpoint.wrap,
    )
    assert run.returncode == 3, run.describe()
    assert run.error_code == "auth_required", run.describe()
    assert run.result is None
    assert_refused_without_oauth(toolkeep.traffic.since(mark), toolkeep, node_endpoint, refusal)


# --------------------------------------------------------------------------- raw HTTP


def _raw_request(endpoint: Endpoint, path: str | None = None) -> tuple[str, dict[str, str]]:
    """URL and headers that reach ``path`` (default: the MCP endpoint) of this form."""
    if path is None:
        return endpoint.python_url, dict(endpoint.python_headers)
    base = endpoint.python_url.rsplit(endpoint.mcp_path, 1)[0]
    return base + path, dict(endpoint.python_headers)


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


@pytest.mark.parametrize("refusal", REFUSALS)
def test_a_refused_request_gets_a_bearer_challenge_without_resource_metadata(
    toolkeep: Toolkeep, endpoint: Endpoint, refusal: Refusal
) -> None:
    url, headers = _raw_request(endpoint)
    key = _key(toolkeep, refusal)
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    headers["Accept"] = "application/json, text/event-stream"
    with httpx.Client(timeout=10, trust_env=False) as http:
        response = http.post(url, json=INITIALIZE, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers.get_list("www-authenticate") == [CHALLENGES[refusal]]
    assert "resource_metadata" not in response.headers["www-authenticate"]
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    expected = "unauthorized" if refusal == "no-key" else "invalid_token"
    assert body["error"] == expected, body
    assert body["request_id"] == response.headers["request-id"]


def test_a_foreign_origin_or_host_is_refused_even_with_the_key(
    toolkeep: Toolkeep, endpoint: Endpoint
) -> None:
    """DNS-rebinding protection on the real server: a browser Origin that is not one of our
    names gets 403; a Host that is not one of our names gets 421 (path form; in the
    base-domain form a foreign Host simply is not routed to the server)."""
    url, headers = _raw_request(endpoint)
    headers["Authorization"] = f"Bearer {toolkeep.keys.acme}"
    headers["Accept"] = "application/json, text/event-stream"
    with httpx.Client(timeout=10, trust_env=False) as http:
        ok = http.post(url, json=INITIALIZE, headers=headers)
        assert ok.status_code == 200, ok.text
        own_origin = {**headers, "Origin": f"http://{_expected_host(toolkeep, endpoint)}"}
        assert http.post(url, json=INITIALIZE, headers=own_origin).status_code == 200
        evil_origin = {**headers, "Origin": "http://evil.example.com"}
        assert http.post(url, json=INITIALIZE, headers=evil_origin).status_code == 403
        evil_host = {**headers, "Host": "evil.example.com"}
        refused = http.post(url, json=INITIALIZE, headers=evil_host)
    assert refused.status_code == (421 if endpoint.form == "path" else 404), refused.text


OAUTH_PROBES = (
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-protected-resource/mcp",
    "/.well-known/oauth-protected-resource/s/acme/mcp",
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-authorization-server/mcp",
    "/.well-known/openid-configuration",
    "/register",
    "/authorize",
    "/token",
    "/s/acme/.well-known/oauth-authorization-server",
    "/s/acme/register",
)


@pytest.mark.parametrize("path", OAUTH_PROBES)
def test_every_oauth_discovery_and_flow_path_answers_a_json_404(
    toolkeep: Toolkeep, endpoint: Endpoint, path: str
) -> None:
    url, headers = _raw_request(endpoint, path)
    method = "POST" if path.endswith(("/register", "/token")) else "GET"
    with httpx.Client(timeout=10, trust_env=False) as http:
        response = http.request(method, url, headers=headers)
    assert response.status_code == 404, response.text
    assert response.json()["error_code"] == "oauth_not_enabled"
    assert "www-authenticate" not in response.headers


# --------------------------------------------------------------------------- conformance

# What a check reports when the scenario's fixture (a test_* tool or prompt, a test://
# resource, a subscription) is not hosted; a baselined scenario failing any other way fails
# the test. The two MRTR messages come from scenarios whose first call hit the missing tool
# test_input_required_result_* (the suite reports only the consequence).
MISSING_FIXTURE = re.compile(
    r"Unknown (tool|prompt): test_|Resource not found: test://|"
    r"Method not found: resources/(un)?subscribe|"
    r"Not testable: server does not list the diagnostic tool 'test_|"
    r"Expected InputRequiredResult with inputRequests and requestState|"
    r"Prerequisite failed: could not get initial InputRequiredResult|"
    r"Server returned JSON-RPC error instead of re-requesting via InputRequiredResult"
)
_RESULT_DIR = re.compile(r"^server-(?P<name>.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$")


@pytest.fixture(scope="module")
def conformance_url(toolkeep: Toolkeep) -> Iterator[str]:
    """acme's path-form endpoint behind the auth shim (conformance cannot send headers)."""
    with auth_shim(toolkeep.base_url, toolkeep.keys.acme) as shim:
        yield shim + "/s/acme/mcp"


def _baseline_path(requirements: str) -> Path:
    return HERE / f"conformance-baseline-{requirements}.yml"


def _baseline(requirements: str) -> list[tuple[str, str | None]]:
    """(scenario, check id or None for the whole scenario) per entry."""
    data = yaml.safe_load(_baseline_path(requirements).read_text(encoding="utf-8"))
    entries = data["server"]
    assert isinstance(entries, list)
    out: list[tuple[str, str | None]] = []
    for entry in entries:
        scenario, _, check = str(entry).partition(":")
        out.append((scenario, check or None))
    return out


def _flagged_checks(output_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Scenario -> its FAILURE and WARNING checks (both break a baseline run), from the
    per-scenario ``checks.json`` files."""
    flagged: dict[str, list[dict[str, Any]]] = {}
    for checks in output_dir.glob("*/checks.json"):
        match = _RESULT_DIR.match(checks.parent.name)
        assert match, checks
        entries = json.loads(checks.read_text(encoding="utf-8"))
        bad = [c for c in entries if c.get("status") in ("FAILURE", "WARNING")]
        if bad:
            flagged[match["name"]] = bad
    return flagged


@needs_node_clients
@pytest.mark.parametrize("requirements", ["2025-11-25", "2026-07-28"])
def test_conformance_fails_only_the_baselined_scenarios_and_only_for_missing_fixtures(
    conformance_url: str, requirements: Requirements, tmp_path: Path
) -> None:
    output_dir = tmp_path / "results"
    run = conformance(
        conformance_url,
        requirements,
        expected_failures=_baseline_path(requirements),
        output_dir=output_dir,
        timeout=60,
    )
    # Exit 0: no scenario outside the baseline failed or warned, and no entry is stale.
    assert run.returncode == 0, run.describe()
    assert "all failures are expected" in run.stdout, run.describe()
    # Everything that needs no fixture passes, DNS-rebinding protection included (Host
    # evil.example.com with a matching Origin is refused; the real loopback Host is served).
    for scenario in ("server-initialize", "tools-list", "dns-rebinding-protection"):
        if scenario in run.scenarios:
            assert run.scenarios[scenario][1] == 0, run.describe()
    assert run.scenarios.get("dns-rebinding-protection") == (2, 0), run.describe()
    # A baselined scenario (or check) may fail only because its fixture is missing.
    flagged = _flagged_checks(output_dir)
    for scenario, check_id in _baseline(requirements):
        checks = flagged.get(scenario, [])
        if check_id is not None:
            checks = [c for c in checks if c.get("id") == check_id]
        assert checks, f"{scenario}:{check_id or '*'} is baselined but did not fail"
        for check in checks:
            message = str(check.get("errorMessage", ""))
            assert MISSING_FIXTURE.search(message), (
                f"{scenario}:{check['id']} failed for another reason than a missing "
                f"fixture: {message}\n{run.describe()}"
            )
