"""REST: a server's tools — create, list, read, replace, update, rename, delete, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import create_server
from tests.support.people import Person
from tests.support.snapshot import snapshot
from toolkeep.api.app import create_api
from toolkeep.context import AppContext


def _mounted() -> bool:
    return "/servers/{subdomain}/tools" in create_api().openapi()["paths"]


pytestmark = pytest.mark.skipif(not _mounted(), reason="routes_tools not mounted yet")

TOOLS = "/api/v1/servers/acme-weather/tools"
WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": [
        {"name": "city", "type": "string", "description": "The city", "required": True},
        {"name": "days", "type": "integer", "default": 1},
    ],
    "code": "return `Sunny in ${params.city}`;",
}


def new_tool(client: TestClient, person: Person, **fields: Any) -> dict[str, Any]:
    response = client.post(TOOLS, json={**WEATHER, **fields}, headers=person.headers)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    data: dict[str, Any] = response.json()
    return data


def audit(client: TestClient, person: Person) -> list[dict[str, Any]]:
    trail = client.get("/api/v1/servers/acme-weather/audit", headers=person.headers).json()
    return [e for e in reversed(trail) if e["event"].startswith("tool.")]


def test_a_created_tool_is_returned_whole_with_its_json_schema(
    client: TestClient, alice: Person
) -> None:
    create_server(client, alice)
    tool = new_tool(client, alice)
    assert tool["name"] == "get_weather"
    assert tool["code"] == WEATHER["code"]
    assert tool["parameters"] == [
        {"name": "city", "type": "string", "description": "The city", "required": True},
        {"name": "days", "type": "integer", "description": "", "required": False, "default": 1},
    ]
    assert tool["input_schema"] == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city"},
            "days": {"type": "integer", "description": "", "default": 1},
        },
        "required": ["city"],
        "additionalProperties": False,
    }
    assert tool["created_at"] == tool["updated_at"]
    read = client.get(f"{TOOLS}/get_weather", headers=alice.headers)
    assert read.status_code == 200
    assert read.json() == tool


def test_the_list_is_in_name_order_and_carries_code_only_when_asked(
    client: TestClient, alice: Person
) -> None:
    create_server(client, alice)
    new_tool(client, alice, name="zeta")
    new_tool(client, alice, name="alpha")
    listed = client.get(TOOLS, headers=alice.headers)
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()] == ["alpha", "zeta"]
    assert all("code" not in t for t in listed.json())
    full = client.get(TOOLS, params={"include_code": "true"}, headers=alice.headers).json()
    assert [t["code"] for t in full] == [WEATHER["code"]] * 2


def test_a_default_of_an_empty_string_or_false_is_kept(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    parameters = [
        {"name": "prefix", "type": "string", "default": ""},
        {"name": "loud", "type": "boolean", "default": False},
    ]
    tool = new_tool(client, alice, parameters=parameters)
    assert [p["default"] for p in tool["parameters"]] == ["", False]


def test_put_creates_then_replaces_and_a_repeat_changes_nothing(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    body = {k: v for k, v in WEATHER.items() if k != "name"}
    created = client.put(f"{TOOLS}/get_weather", json=body, headers=alice.headers)
    assert created.status_code == 201, created.text
    replaced = client.put(
        f"{TOOLS}/get_weather", json={**body, "parameters": []}, headers=alice.headers
    )
    assert replaced.status_code == 200
    assert replaced.json()["parameters"] == []
    before = snapshot(ctx.db)
    again = client.put(
        f"{TOOLS}/get_weather", json={**WEATHER, "parameters": []}, headers=alice.headers
    )
    assert again.status_code == 200
    assert again.json() == replaced.json()
    assert snapshot(ctx.db) == before
    assert [e["event"] for e in audit(client, alice)] == ["tool.created", "tool.updated"]


def test_put_with_another_name_in_the_body_is_refused(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    response = client.put(
        f"{TOOLS}/get_weather", json=WEATHER | {"name": "x"}, headers=alice.headers
    )
    assert response.status_code == 422
    assert (response.json()["error_code"], response.json()["field"]) == (
        "invalid_tool_field",
        "name",
    )


def test_patch_changes_the_given_fields_and_can_rename(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    new_tool(client, alice)
    patched = client.patch(
        f"{TOOLS}/get_weather",
        json={"name": "forecast", "code": "return 'cloudy'"},
        headers=alice.headers,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["name"], patched.json()["code"]) == ("forecast", "return 'cloudy'")
    assert patched.json()["description"] == WEATHER["description"]
    gone = client.get(f"{TOOLS}/get_weather", headers=alice.headers)
    assert (gone.status_code, gone.json()["error_code"]) == (404, "tool_not_found")
    (_, updated) = audit(client, alice)
    assert updated["details"] == {
        "name": "forecast",
        "fields": ["code", "name"],
        "renamed_from": "get_weather",
        "code_bytes": 15,
    }


def test_a_taken_name_is_a_conflict_on_create_and_rename(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    new_tool(client, alice)
    new_tool(client, alice, name="other")
    again = client.post(TOOLS, json=WEATHER, headers=alice.headers)
    assert (again.status_code, again.json()["error_code"]) == (409, "tool_name_taken")
    rename = client.patch(f"{TOOLS}/other", json={"name": "get_weather"}, headers=alice.headers)
    assert (rename.status_code, rename.json()["error_code"]) == (409, "tool_name_taken")
    assert rename.json()["field"] == "name"


def test_delete_removes_the_tool_and_the_audit_never_holds_code(
    client: TestClient, alice: Person
) -> None:
    create_server(client, alice)
    new_tool(client, alice, code="return 'distinctive-code-marker'")
    deleted = client.delete(f"{TOOLS}/get_weather", headers=alice.headers)
    assert deleted.status_code == 204
    assert client.get(TOOLS, headers=alice.headers).json() == []
    again = client.delete(f"{TOOLS}/get_weather", headers=alice.headers)
    assert (again.status_code, again.json()["error_code"]) == (404, "tool_not_found")
    trail = client.get("/api/v1/servers/acme-weather/audit", headers=alice.headers).text
    assert "distinctive-code-marker" not in trail
    assert [e["event"] for e in audit(client, alice)] == ["tool.created", "tool.deleted"]


@pytest.mark.parametrize(
    ("fields", "status", "code", "field"),
    [
        ({"name": "Get-Weather"}, 422, "invalid_tool_field", "name"),
        ({"description": "  "}, 422, "invalid_tool_field", "description"),
        ({"code": ""}, 422, "invalid_tool_field", "code"),
        ({"code": "é" * 262_145}, 422, "invalid_tool_field", "code"),
        (
            {"parameters": [{"name": "a", "type": "string"}, {"name": "a", "type": "number"}]},
            422,
            "invalid_tool_field",
            "parameters[1].name",
        ),
        (
            {"parameters": [{"name": "n", "type": "integer", "default": "1"}]},
            422,
            "invalid_tool_field",
            "parameters[0].default",
        ),
        (
            {"parameters": [{"name": "n", "type": "integer", "default": None}]},
            422,
            "invalid_tool_field",
            "parameters[0].default",
        ),
        (
            {"parameters": [{"name": "n", "type": "float"}]},
            422,
            "validation_error",
            "parameters.0.type",
        ),
        (
            {"parameters": [{"name": f"p{i}", "type": "string"} for i in range(51)]},
            422,
            "validation_error",
            "parameters",
        ),
        ({"colour": "red"}, 422, "validation_error", "colour"),
        ({"description": None}, 422, "validation_error", "description"),
    ],
)
def test_invalid_tools_are_refused_with_the_field_named_and_nothing_stored(
    client: TestClient,
    alice: Person,
    ctx: AppContext,
    fields: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    create_server(client, alice)
    before = snapshot(ctx.db)
    response = client.post(TOOLS, json={**WEATHER, **fields}, headers=alice.headers)
    assert response.status_code == status, response.text
    assert (response.json()["error_code"], response.json()["field"]) == (code, field)
    assert response.json()["request_id"].startswith("req_")
    assert snapshot(ctx.db) == before


def test_another_users_server_is_not_found_whatever_the_verb(
    client: TestClient, alice: Person, bob: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    new_tool(client, alice)
    before = snapshot(ctx.db)
    attempts = [
        client.get(TOOLS, headers=bob.headers),
        client.post(TOOLS, json=WEATHER | {"name": "mine"}, headers=bob.headers),
        client.get(f"{TOOLS}/get_weather", headers=bob.headers),
        client.put(f"{TOOLS}/get_weather", json=WEATHER, headers=bob.headers),
        client.patch(f"{TOOLS}/get_weather", json={"code": "return 0"}, headers=bob.headers),
        client.delete(f"{TOOLS}/get_weather", headers=bob.headers),
    ]
    for response in attempts:
        assert response.status_code == 404, response.text
        assert response.json()["error_code"] == "server_not_found"
    assert snapshot(ctx.db) == before


def test_an_admin_sees_every_servers_tools(
    client: TestClient, alice: Person, admin: Person
) -> None:
    create_server(client, alice)
    new_tool(client, alice)
    listed = client.get(TOOLS, headers=admin.headers)
    assert [t["name"] for t in listed.json()] == ["get_weather"]


def test_without_a_token_nothing_is_answered(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    response = client.get(TOOLS)
    assert response.status_code == 401
    assert response.json()["error_code"] == "token_missing"
