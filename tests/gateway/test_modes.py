"""Public, unlisted and API Key servers; OAuth discovery; the store being down."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.gateway.conftest import World, modern_call, modern_headers, tool_runs
from toolkeep.context import AppContext
from toolkeep.servers.models import SecurityMode, ServerChanges


def call(client: TestClient, url: str, key: str | None = None) -> int:
    return client.post(url, json=modern_call(), headers=modern_headers(key=key)).status_code


def test_a_public_server_answers_without_a_key_and_ignores_a_foreign_bearer(
    client: TestClient, world: World
) -> None:
    assert call(client, "/s/open/mcp") == 200
    headers = modern_headers()
    headers["Authorization"] = "Bearer some-other-token"
    assert client.post("/s/open/mcp", json=modern_call(), headers=headers).status_code == 200
    assert call(client, "/s/open/mcp/extra-segment") == 404


def test_an_unlisted_server_answers_only_at_its_secret_path(
    client: TestClient, world: World
) -> None:
    assert call(client, world.unlisted_url) == 200
    assert call(client, "/s/hidden/mcp") == 404
    url = world.unlisted_url
    wrong_last = url[:-1] + ("x" if url[-1] != "x" else "y")  # a random secret may end in x
    assert call(client, wrong_last) == 404
    assert call(client, url + "x") == 404
    assert tool_runs(client) == 1


def test_an_unknown_server_and_a_wrong_unlisted_path_look_the_same(
    client: TestClient, world: World
) -> None:
    missing = client.post("/s/nobody/mcp", json=modern_call(), headers=modern_headers())
    wrong = client.post("/s/hidden/mcp/nope", json=modern_call(), headers=modern_headers())
    assert missing.status_code == wrong.status_code == 404
    assert missing.json()["error_code"] == wrong.json()["error_code"] == "server_not_found"


def test_the_endpoint_url_survives_mode_switches(
    client: TestClient, world: World, ctx: AppContext
) -> None:
    assert call(client, "/s/acme/mcp") == 401
    ctx.servers.update(world.actor, "acme", ServerChanges(security_mode=SecurityMode.PUBLIC))
    assert call(client, "/s/acme/mcp", world.key) == 200  # a dormant key is simply ignored
    ctx.servers.update(world.actor, "acme", ServerChanges(security_mode=SecurityMode.API_KEY))
    assert call(client, "/s/acme/mcp", world.key) == 200
    assert call(client, "/s/acme/mcp") == 401


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/s/acme/mcp",
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/s/acme/mcp",
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration/s/acme/mcp",
        "/s/acme/.well-known/oauth-protected-resource",
        "/register",
        "/authorize",
        "/token",
    ],
)
def test_every_oauth_discovery_path_answers_a_json_404(
    client: TestClient, world: World, path: str
) -> None:
    for method in ("GET", "POST"):
        response = client.request(method, path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error_code"] == "oauth_not_enabled"


def test_a_401_never_advertises_oauth_metadata(client: TestClient, world: World) -> None:
    response = client.post("/s/acme/mcp", json=modern_call(), headers=modern_headers())
    assert "resource_metadata" not in response.headers["www-authenticate"]


def test_tool_code_sees_the_same_params_and_env_in_every_mode(
    client: TestClient, world: World
) -> None:
    results = []
    for url, key in (("/s/acme/mcp", world.key), ("/s/open/mcp", None), (world.unlisted_url, None)):
        response = client.post(url, json=modern_call(), headers=modern_headers(key=key))
        results.append(response.json()["result"]["structuredContent"])
    assert results[0] == results[1] == results[2]
    assert results[0]["params"] == {"text": "hi"}
    assert results[0]["env"] == {}


def test_storage_down_answers_503_never_401(
    client: TestClient, world: World, ctx: AppContext
) -> None:
    if ctx.db.dialect != "sqlite":
        pytest.skip("simulated by moving the SQLite file away")
    database = Path(ctx.db.url.removeprefix("sqlite:///"))
    client.app_state["mcp"].repo.reader.close()
    os.rename(database, database.with_suffix(".moved"))
    try:
        response = client.post(
            "/s/acme/mcp", json=modern_call(), headers=modern_headers(key=world.key)
        )
    finally:
        client.app_state["mcp"].repo.reader.close()
        database.unlink(missing_ok=True)
        os.rename(database.with_suffix(".moved"), database)
    assert response.status_code == 503
    assert response.json()["error_code"] == "auth_unavailable"
    assert response.headers["retry-after"] == "5"


def test_a_foreign_host_is_refused_before_anything_else(client: TestClient, world: World) -> None:
    headers = modern_headers(key=world.key) | {"Host": "evil.example.com"}
    response = client.post("/s/acme/mcp", json=modern_call(), headers=headers)
    assert response.status_code == 421
    assert response.json()["error_code"] == "host_not_allowed"
    assert tool_runs(client) == 0


def test_a_foreign_browser_origin_is_refused_with_403(client: TestClient, world: World) -> None:
    headers = modern_headers(key=world.key) | {"Origin": "http://evil.example.com"}
    assert client.post("/s/acme/mcp", json=modern_call(), headers=headers).status_code == 403
    same = modern_headers(key=world.key) | {"Origin": "http://testserver"}
    assert client.post("/s/acme/mcp", json=modern_call(), headers=same).status_code == 200
    assert tool_runs(client) == 1


def test_a_key_whose_pepper_is_not_loaded_here_is_a_503_not_a_401(
    client: TestClient, world: World, ctx: AppContext
) -> None:
    from sqlalchemy import update

    from toolkeep.store.tables import api_keys

    with ctx.db.transaction() as conn:  # as if minted by a replica with a newer pepper
        conn.execute(update(api_keys).values(pepper_version=9))
    response = client.post("/s/acme/mcp", json=modern_call(), headers=modern_headers(key=world.key))
    assert response.status_code == 503
    assert response.json()["error_code"] == "auth_unavailable"


def test_a_key_logged_by_any_logger_is_redacted_while_the_app_runs(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.INFO)
    logging.getLogger("some.library").info("debugging with %s", world.key)
    assert world.key not in caplog.text
    assert "[REDACTED:api_key]" in caplog.text
