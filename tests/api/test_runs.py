"""REST: the owner's test run of a tool, and secrets reaching tool code (only as env)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.conftest import create_server
from tests.gateway.conftest import modern_headers, runtime_of, tool_runs
from tests.support.people import Person
from toolkeep.context import AppContext

SERVER = "/api/v1/servers/acme-weather"
CODE = """
console.log('calling with token ' + env.WEATHER_TOKEN);
if (params.fail) { throw new Error('upstream refused ' + env.WEATHER_TOKEN); }
return {city: params.city, token: env.WEATHER_TOKEN, tokenLength: env.WEATHER_TOKEN.length};
"""
TOKEN = "wx-secret-0123456789"


def setup(client: TestClient, person: Person) -> dict[str, Any]:
    server = create_server(client, person)
    tool = {
        "name": "forecast",
        "description": "Forecast for a city.",
        "code": CODE,
        "parameters": [
            {"name": "city", "type": "string", "required": True},
            {"name": "fail", "type": "boolean", "default": False},
        ],
    }
    assert client.post(f"{SERVER}/tools", json=tool, headers=person.headers).status_code == 201
    put = client.put(
        f"{SERVER}/secrets/WEATHER_TOKEN", json={"value": TOKEN}, headers=person.headers
    )
    assert put.status_code == 201
    return server


def run(client: TestClient, person: Person, **arguments: Any) -> Any:
    response = client.post(f"{SERVER}/tools/forecast/run", json={"arguments": arguments},
                           headers=person.headers)  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def test_a_test_run_returns_the_result_console_and_duration_with_secrets_redacted(
    client: TestClient, alice: Person
) -> None:
    setup(client, alice)
    result = run(client, alice, city="Oslo")
    assert result["isError"] is False
    assert result["status"] == 200
    assert result["structuredContent"]["city"] == "Oslo"
    assert result["structuredContent"]["tokenLength"] == len(TOKEN)  # the tool saw the secret
    assert result["structuredContent"]["token"] == "[REDACTED:WEATHER_TOKEN]"
    assert result["console"] == ["calling with token [REDACTED:WEATHER_TOKEN]"]
    assert result["duration_ms"] > 0
    assert TOKEN not in str(result)


def test_bad_arguments_are_a_400_result_and_run_no_code(client: TestClient, alice: Person) -> None:
    setup(client, alice)
    result = run(client, alice, city=3)
    assert (result["isError"], result["status"]) == (True, 400)
    assert "city" in result["content"][0]["text"]
    assert tool_runs(client) == 0


def test_a_thrown_error_never_carries_a_secret_to_an_mcp_client(
    client: TestClient, alice: Person
) -> None:
    server = setup(client, alice)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "forecast", "arguments": {"city": "Oslo", "fail": True},
                       "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                 "io.modelcontextprotocol/clientCapabilities": {}}}}  # fmt: skip
    headers = modern_headers("forecast", key=server["api_key"]["key"])
    response = client.post("/s/acme-weather/mcp", json=body, headers=headers)
    result = response.json()["result"]
    assert result["isError"] is True
    assert (
        result["content"][0]["text"] == "Error: upstream refused [REDACTED:WEATHER_TOKEN] (line 3)"
    )
    assert TOKEN not in response.text


def test_a_test_run_is_logged_and_other_users_cannot_run_it(
    client: TestClient, alice: Person, bob: Person, ctx: AppContext
) -> None:
    setup(client, alice)
    run(client, alice, city="Oslo")
    denied = client.post(f"{SERVER}/tools/forecast/run", json={}, headers=bob.headers)
    assert denied.status_code == 404
    client.portal.call(runtime_of(client).usage.flush)  # type: ignore[union-attr]
    logs = client.get(f"{SERVER}/logs?method=tools/run", headers=alice.headers).json()
    assert [(e["tool"], e["http_status"]) for e in logs] == [("forecast", 200)]
