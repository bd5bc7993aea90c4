"""REST: servers, validation and tenancy."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import create_server
from tests.support.people import Person
from tests.support.snapshot import snapshot
from toolkeep.context import AppContext


def test_creating_an_api_key_server_returns_its_first_key_once(
    client: TestClient, alice: Person
) -> None:
    server = create_server(client, alice)
    assert server["security_mode"] == "api_key"
    assert server["endpoints"] == ["http://127.0.0.1:8000/s/acme-weather/mcp"]
    assert server["api_key"]["key"].startswith("tk_")
    assert server["api_key"]["label"] == "default"
    assert server["api_key"]["created_by"] == "alice@example.com"
    again = client.get("/api/v1/servers/acme-weather", headers=alice.headers)
    assert server["api_key"]["key"] not in again.text


def test_a_public_server_gets_no_key(client: TestClient, alice: Person) -> None:
    server = create_server(client, alice, security_mode="public")
    assert server["api_key"] is None


def test_an_unlisted_server_shows_its_secret_url_to_its_owner_and_can_regenerate_it(
    client: TestClient, alice: Person
) -> None:
    server = create_server(client, alice, security_mode="unlisted")
    (url,) = server["endpoints"]
    secret = url.rsplit("/", 1)[1]
    assert len(secret) == 48
    assert secret.isalnum()
    regenerated = client.post("/api/v1/servers/acme-weather/unlisted-secret", headers=alice.headers)
    assert regenerated.status_code == 200
    assert regenerated.json()["endpoints"][0] != url


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "subdomain": "ab"}, "subdomain"),
        ({"name": "x", "subdomain": "Upper-Case"}, "subdomain"),
        ({"name": "x", "subdomain": "-lead"}, "subdomain"),
        ({"name": "x", "subdomain": "double--dash"}, "subdomain"),
        ({"name": "x", "subdomain": "api"}, "subdomain"),
        ({"name": "x", "subdomain": "a" * 41}, "subdomain"),
        ({"name": "", "subdomain": "fine-one"}, "name"),
        ({"name": "x", "subdomain": "fine-one", "security_mode": "oauth2"}, "security_mode"),
        ({"name": "x", "subdomain": "fine-one", "colour": "red"}, "colour"),
        ({"subdomain": "fine-one"}, "name"),
    ],
)
def test_invalid_server_fields_are_refused_with_the_field_named_and_nothing_stored(
    client: TestClient, alice: Person, ctx: AppContext, body: dict[str, str], field: str
) -> None:
    before = snapshot(ctx.db)
    response = client.post("/api/v1/servers", json=body, headers=alice.headers)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["field"] == field
    assert error["error_code"] in {"validation_error", "invalid_server_field"}
    assert error["message"]
    assert error["request_id"].startswith("req_")
    assert snapshot(ctx.db) == before


def test_a_duplicate_subdomain_is_a_conflict_and_changes_nothing(
    client: TestClient, alice: Person, bob: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    before = snapshot(ctx.db)
    body = {"name": "Other", "subdomain": "acme-weather"}
    response = client.post("/api/v1/servers", json=body, headers=bob.headers)
    assert response.status_code == 409
    assert response.json()["error_code"] == "subdomain_taken"
    assert snapshot(ctx.db) == before


def test_malformed_json_is_a_400_and_changes_nothing(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    before = snapshot(ctx.db)
    headers = {**alice.headers, "Content-Type": "application/json"}
    response = client.post("/api/v1/servers", content=b'{"name": ', headers=headers)
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_json"
    assert snapshot(ctx.db) == before


def test_an_unknown_subdomain_is_a_404_with_a_stable_code(
    client: TestClient, alice: Person
) -> None:
    response = client.get("/api/v1/servers/nope-nope", headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["error_code"] == "server_not_found"


def test_users_see_only_their_own_servers_and_admins_see_all(
    client: TestClient, alice: Person, bob: Person, admin: Person
) -> None:
    create_server(client, alice, "alice-one")
    create_server(client, bob, "bob-one")

    def visible(person: Person) -> set[str]:
        response = client.get("/api/v1/servers", headers=person.headers)
        return {s["subdomain"] for s in response.json()}

    assert visible(alice) == {"alice-one"}
    assert visible(bob) == {"bob-one"}
    assert visible(admin) == {"alice-one", "bob-one"}


def test_another_users_server_answers_404_for_every_operation(
    client: TestClient, alice: Person, bob: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    before = snapshot(ctx.db)
    h = bob.headers
    calls = [
        client.get("/api/v1/servers/acme-weather", headers=h),
        client.patch("/api/v1/servers/acme-weather", json={"name": "mine"}, headers=h),
        client.delete("/api/v1/servers/acme-weather", headers=h),
        client.get("/api/v1/servers/acme-weather/audit", headers=h),
        client.post("/api/v1/servers/acme-weather/unlisted-secret", headers=h),
    ]
    for response in calls:
        assert response.status_code == 404, response.text
        assert response.json()["error_code"] == "server_not_found"
    assert snapshot(ctx.db) == before


def test_updating_and_deleting_a_server(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    patched = client.patch(
        "/api/v1/servers/acme-weather",
        json={"name": "Weather 2", "description": "Forecasts"},
        headers=alice.headers,
    )
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["description"]) == ("Weather 2", "Forecasts")
    assert client.delete("/api/v1/servers/acme-weather", headers=alice.headers).status_code == 204
    gone = client.get("/api/v1/servers/acme-weather", headers=alice.headers)
    assert gone.status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Basic YWxpY2U6cHc=", "Bearer tkpat_not-a-token", "Bearer tk_" + "a" * 66],
)
def test_the_api_refuses_missing_or_bad_tokens_with_401(
    client: TestClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/api/v1/servers", headers=headers)
    assert response.status_code == 401
    assert response.json()["error_code"] in {"token_missing", "token_invalid"}
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_openapi_describes_every_route(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {
        "/servers",
        "/servers/{subdomain}",
        "/servers/{subdomain}/keys",
        "/servers/{subdomain}/keys/{kid}/revoke",
        "/servers/{subdomain}/keys/{kid}/roll",
        "/servers/{subdomain}/audit",
    } <= set(spec["paths"])
