"""The requests each scenario sends, and the one-request probes that check them first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from bench.targets import Form

MODERN = "2026-07-28"
LEGACY = "2025-11-25"

_BASE_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
}


@dataclass(frozen=True, slots=True)
class HttpRequest:
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    request: HttpRequest
    expected_status: int
    form: str


@dataclass(frozen=True, slots=True)
class ProbeResult:
    form: Form
    status: int | None
    content_type: str
    snippet: str
    ok: bool

    def describe(self) -> str:
        status = self.status if self.status is not None else "no answer"
        return f"{self.form:<6} {MODERN if self.form == 'modern' else LEGACY}: {status} " + (
            f"{self.content_type} {self.snippet}"
        )


def _auth(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _legacy_headers(session: str | None) -> dict[str, str]:
    """2025-11-25 headers; a session-era server (Toolkeep) also gets the session id."""
    headers = {"MCP-Protocol-Version": LEGACY}
    if session is not None:
        headers["Mcp-Session-Id"] = session
    return headers


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def tools_list(form: Form, key: str | None, session: str | None = None) -> HttpRequest:
    """One tools/list: stateless, or in the legacy form within ``session`` when given."""
    if form == "modern":
        meta = {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}}
        headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"}
    else:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        headers = _legacy_headers(session)
    return HttpRequest(headers={**_BASE_HEADERS, **headers, **_auth(key)}, body=_dumps(body))


# The ``stats`` payload of tools_call_lodash: 20 numbers, unsorted, with a repeat and a
# negative so that sortBy has real work and the checked sum is not a coincidence.
STATS_VALUES: tuple[int, ...] = (42, 7, 19, -3, 88, 23, 5, 61, 14, 7, 30, 99, 2, 56, 71, 11,
                                 36, 48, 27, 64)  # fmt: skip


def tools_call(
    form: Form,
    key: str | None,
    session: str | None = None,
    *,
    tool: str = "add",
    arguments: dict[str, object] | None = None,
) -> HttpRequest:
    """One tools/call (default ``add(2, 3)``): stateless, or within ``session`` (legacy form)."""
    args = {"a": 2, "b": 3} if arguments is None else arguments
    params: dict[str, object] = {"name": tool, "arguments": args}
    if form == "modern":
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
        headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": tool}
    else:
        headers = _legacy_headers(session)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    return HttpRequest(headers={**_BASE_HEADERS, **headers, **_auth(key)}, body=_dumps(body))


def tools_call_lodash(form: Form, key: str | None, session: str | None = None) -> HttpRequest:
    """One tools/call of ``stats(STATS_VALUES)``: lodash in Toolkeep, plain Python elsewhere."""
    return tools_call(form, key, session, tool="stats", arguments={"values": list(STATS_VALUES)})


def initialize(key: str | None) -> HttpRequest:
    params = {
        "protocolVersion": LEGACY,
        "capabilities": {},
        "clientInfo": {"name": "toolkeep-bench", "version": "1.0"},
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}
    return HttpRequest(headers={**_BASE_HEADERS, **_auth(key)}, body=_dumps(body))


def initialized(key: str | None, session: str) -> HttpRequest:
    """The ``notifications/initialized`` a legacy client sends right after ``initialize``."""
    body = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    headers = {**_BASE_HEADERS, **_legacy_headers(session), **_auth(key)}
    return HttpRequest(headers=headers, body=_dumps(body))


class SessionError(RuntimeError):
    """The legacy handshake (initialize, then notifications/initialized) did not work."""


def open_session(client: httpx.Client, url: str, key: str | None) -> str:
    """Do what a 2025-11-25 client does once per connection: return the ``Mcp-Session-Id``."""
    response = send(client, url, initialize(key))
    session: str | None = response.headers.get("mcp-session-id")
    if response.status_code != 200 or not _has_result(response) or not session:
        snippet = response.text[:160].replace("\n", " ")
        raise SessionError(
            f"initialize answered {response.status_code} "
            f"{'with' if session else 'without'} Mcp-Session-Id: {snippet}"
        )
    response = send(client, url, initialized(key, session))
    if response.status_code not in (200, 202):
        snippet = response.text[:160].replace("\n", " ")
        raise SessionError(f"notifications/initialized answered {response.status_code}: {snippet}")
    return session


def build(
    name: str, form: Form, key: str | None, *, auth_enforced: bool, session: str | None = None
) -> Scenario:
    """``session`` (legacy form on a session-era server) goes on tools_list and tools_call."""
    if name == "tools_list":
        return Scenario(name, tools_list(form, key, session), 200, form)
    if name == "unauthorized":
        # The modern tools_list request without Authorization; the floor app answers it 200.
        return Scenario(name, tools_list("modern", None), 401 if auth_enforced else 200, "modern")
    if name == "initialize":
        return Scenario(name, initialize(key), 200, "legacy")
    if name == "tools_call":
        return Scenario(name, tools_call(form, key, session), 200, form)
    if name == "tools_call_lodash":
        return Scenario(name, tools_call_lodash(form, key, session), 200, form)
    raise ValueError(f"unknown scenario {name!r}")


def send(client: httpx.Client, url: str, request: HttpRequest) -> httpx.Response:
    return client.post(url, headers=request.headers, content=request.body)


def probe_tools_list(
    client: httpx.Client,
    url: str,
    key: str | None,
    forms: tuple[Form, ...],
    sessions: dict[Form, str] | None = None,
) -> list[ProbeResult]:
    """Send one tools/list in each form; ``ok`` when the answer is 200 with a JSON-RPC result."""
    results = []
    for form in forms:
        try:
            response = send(client, url, tools_list(form, key, (sessions or {}).get(form)))
        except httpx.HTTPError as exc:
            results.append(ProbeResult(form, None, "", repr(exc), False))
            continue
        ok = response.status_code == 200 and _has_result(response)
        snippet = response.text[:160].replace("\n", " ")
        content_type = response.headers.get("content-type", "")
        results.append(ProbeResult(form, response.status_code, content_type, snippet, ok))
    return results


def _payload(response: httpx.Response) -> object:
    text = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[5:] for line in text.splitlines() if line.startswith("data:")]
        text = data[-1] if data else ""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _has_result(response: httpx.Response) -> bool:
    payload = _payload(response)
    return isinstance(payload, dict) and "result" in payload


def check_answer(scenario: Scenario, response: httpx.Response, *, floor: bool) -> str | None:
    """Why ``response`` is not the answer ``scenario`` should measure, or None if it is."""
    snippet = response.text[:160].replace("\n", " ")
    if response.status_code != scenario.expected_status:
        return f"expected HTTP {scenario.expected_status}, got {response.status_code}: {snippet}"
    if floor or scenario.expected_status != 200:
        return None
    payload = _payload(response)
    result = payload.get("result") if isinstance(payload, dict) else None
    if not isinstance(result, dict):
        return f"HTTP 200 but no JSON-RPC result: {snippet}"
    return tool_result_problem(scenario.name, result, snippet)


def tool_result_problem(scenario: str, result: dict[str, Any], snippet: str) -> str | None:
    """Why a ``tools/call`` result of ``scenario`` is wrong (None if right, or not a call)."""
    if scenario not in ("tools_call", "tools_call_lodash"):
        return None
    if result.get("isError"):
        return f"HTTP 200 but the tool call failed (isError): {snippet}"
    if scenario == "tools_call" and not returned_five(result):
        return f"HTTP 200 but add(2, 3) did not return 5: {snippet}"
    if scenario == "tools_call_lodash" and not returned_stats(result):
        return (
            f"HTTP 200 but stats did not return sum {sum(STATS_VALUES)}, max "
            f"{max(STATS_VALUES)} and the values sorted: {snippet}"
        )
    return None


def returned_five(result: dict[str, Any]) -> bool:
    """``add(2, 3)``: 5 as structured content or as the text of a content item."""
    structured = result.get("structuredContent")
    if isinstance(structured, dict) and structured.get("result") == 5:
        return True
    content = result.get("content")
    items = content if isinstance(content, list) else []
    return any(isinstance(i, dict) and str(i.get("text", "")).strip() == "5" for i in items)


def returned_stats(result: dict[str, Any]) -> bool:
    """``stats(STATS_VALUES)``: the right sum, max and sorted list, as structured content (or
    the same object wrapped in ``result``), or as the JSON text of a content item."""
    candidates: list[object] = []
    structured = result.get("structuredContent")
    if isinstance(structured, dict):
        candidates += [structured, structured.get("result")]
    content = result.get("content")
    for item in content if isinstance(content, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            try:
                candidates.append(json.loads(item["text"]))
            except ValueError:
                continue
    return any(_stats_ok(c) for c in candidates)


def _stats_ok(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    expected_sorted = sorted(STATS_VALUES)
    got_sorted = value.get("sorted")
    return (
        value.get("sum") == sum(STATS_VALUES)
        and value.get("max") == max(STATS_VALUES)
        and isinstance(got_sorted, list)
        and got_sorted == expected_sorted
    )
