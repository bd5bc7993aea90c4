"""REST: a server's secrets — set, replace, list, delete; write-only; tenancy; limits."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from tests.api.conftest import create_server
from tests.support.clock import ManualClock
from tests.support.people import Person
from tests.support.snapshot import snapshot, stored_bytes
from toolkeep.api import routes_secrets
from toolkeep.api.app import create_api
from toolkeep.context import AppContext
from toolkeep.settings import Settings
from toolkeep.vault.models import MAX_SECRETS, MAX_VALUE_BYTES
from toolkeep.vault.service import VaultService

SECRETS = "/api/v1/servers/acme-weather/secrets"
VALUE = "sk_live_51HxQzZ2eZvKYlo2C8s9hQ3pWq7"


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    """The real REST API, with the secrets router whether or not the app mounts it yet."""
    api = create_api()
    if "/servers/{subdomain}/secrets" not in create_api().openapi()["paths"]:
        api.include_router(routes_secrets.router)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"ctx": ctx}

    web = Starlette(routes=[Mount("/api/v1", app=api)], lifespan=lifespan)
    with TestClient(web) as test_client:
        yield test_client


def put(client: TestClient, person: Person, name: str, value: Any = VALUE) -> Any:
    return client.put(f"{SECRETS}/{name}", json={"value": value}, headers=person.headers)


def env(ctx: AppContext, person: Person, subdomain: str = "acme-weather") -> dict[str, str]:
    actor = ctx.accounts.authenticate_token(person.token)
    server = ctx.servers.get(actor, subdomain)
    return VaultService(ctx.db, ctx.material.sealer, ctx.clock).load_env(server.id)


def audit(client: TestClient, person: Person) -> list[dict[str, Any]]:
    trail = client.get("/api/v1/servers/acme-weather/audit", headers=person.headers).json()
    return [e for e in reversed(trail) if e["event"].startswith("secret.")]


def test_a_secret_is_created_201_then_replaced_200_and_listed_without_its_value(
    client: TestClient, alice: Person, ctx: AppContext, clock: ManualClock
) -> None:
    create_server(client, alice)
    created = put(client, alice, "API_TOKEN")
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    at = clock.now.isoformat().replace("+00:00", "Z")
    assert created.json() == {"name": "API_TOKEN", "created_at": at, "updated_at": at}
    clock.now = clock.now.replace(hour=13)
    replaced = put(client, alice, "API_TOKEN", "rotated-value")
    assert replaced.status_code == 200
    assert replaced.json()["created_at"] == at
    assert replaced.json()["updated_at"] != at
    listed = client.get(SECRETS, headers=alice.headers)
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "no-store"
    assert listed.json() == [replaced.json()]
    assert env(ctx, alice) == {"API_TOKEN": "rotated-value"}


def test_the_list_is_in_name_order(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    for name in ("ZETA", "ALPHA", "B2"):
        assert put(client, alice, name).status_code == 201
    names = [s["name"] for s in client.get(SECRETS, headers=alice.headers).json()]
    assert names == ["ALPHA", "B2", "ZETA"]


def test_a_deleted_secret_answers_204_and_is_gone(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    put(client, alice, "API_TOKEN")
    put(client, alice, "REGION", "eu-west-1")
    deleted = client.delete(f"{SECRETS}/API_TOKEN", headers=alice.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert [s["name"] for s in client.get(SECRETS, headers=alice.headers).json()] == ["REGION"]
    assert env(ctx, alice) == {"REGION": "eu-west-1"}
    again = client.delete(f"{SECRETS}/API_TOKEN", headers=alice.headers)
    assert again.status_code == 404
    assert again.json()["error_code"] == "secret_not_found"


def test_changes_are_audited_by_name_only(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    put(client, alice, "API_TOKEN")
    put(client, alice, "API_TOKEN", VALUE + "-2")
    client.delete(f"{SECRETS}/API_TOKEN", headers=alice.headers)
    events = audit(client, alice)
    assert [(e["event"], e["actor"], e["details"]) for e in events] == [
        ("secret.set", "alice@example.com", {"name": "API_TOKEN"}),
        ("secret.set", "alice@example.com", {"name": "API_TOKEN"}),
        ("secret.deleted", "alice@example.com", {"name": "API_TOKEN"}),
    ]


def test_no_route_reads_a_value_back(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    put(client, alice, "API_TOKEN")
    read = client.get(f"{SECRETS}/API_TOKEN", headers=alice.headers)
    assert read.status_code == 405
    assert VALUE not in read.text
    openapi = client.get("/api/v1/openapi.json").json()
    assert set(openapi["paths"]["/servers/{subdomain}/secrets"]) == {"get"}
    assert set(openapi["paths"]["/servers/{subdomain}/secrets/{name}"]) == {"put", "delete"}
    fields = openapi["components"]["schemas"]["SecretOut"]["properties"]
    assert set(fields) == {"name", "created_at", "updated_at"}


def test_the_value_appears_in_no_response_no_log_and_nowhere_stored(
    client: TestClient,
    alice: Person,
    ctx: AppContext,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    create_server(client, alice)
    part = VALUE[8:24]
    seen = [
        put(client, alice, "API_TOKEN").text,
        put(client, alice, "API_TOKEN").text,
        put(client, alice, "API_TOKEN", "x" * (MAX_VALUE_BYTES + 1) + VALUE).text,
        client.put(f"{SECRETS}/bad-name", json={"value": VALUE}, headers=alice.headers).text,
        client.get(SECRETS, headers=alice.headers).text,
        client.get(f"{SECRETS}/API_TOKEN", headers=alice.headers).text,
        client.get("/api/v1/servers/acme-weather", headers=alice.headers).text,
        client.get("/api/v1/servers/acme-weather/audit", headers=alice.headers).text,
    ]
    assert not any(VALUE in text or part in text for text in seen)
    assert part not in caplog.text
    assert env(ctx, alice) == {"API_TOKEN": VALUE}  # it was stored, just not readably
    dump = repr(snapshot(ctx.db))
    assert "API_TOKEN" in dump
    assert VALUE not in dump
    assert part not in dump
    raw = stored_bytes(ctx.db, settings.data_dir)
    if raw:
        assert b"API_TOKEN" in raw
    assert VALUE.encode() not in raw
    assert part.encode() not in raw


def test_another_users_server_answers_404_on_every_route_and_nothing_changes(
    client: TestClient, alice: Person, bob: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    put(client, alice, "API_TOKEN")
    before = snapshot(ctx.db)
    responses = [
        client.get(SECRETS, headers=bob.headers),
        put(client, bob, "API_TOKEN", "overwritten"),
        put(client, bob, "PLANTED", "planted"),
        client.delete(f"{SECRETS}/API_TOKEN", headers=bob.headers),
        client.get("/api/v1/servers/nope-nope/secrets", headers=alice.headers),
    ]
    for response in responses:
        assert response.status_code == 404, response.text
        assert response.json()["error_code"] == "server_not_found"
    assert responses[0].json()["message"] == responses[4].json()["message"].replace(
        "nope-nope", "acme-weather"
    )  # someone else's server and no server look the same
    assert snapshot(ctx.db) == before
    assert env(ctx, alice) == {"API_TOKEN": VALUE}


def test_an_admin_may_manage_any_servers_secrets(
    client: TestClient, alice: Person, admin: Person
) -> None:
    create_server(client, alice)
    assert put(client, admin, "API_TOKEN").status_code == 201
    names = [s["name"] for s in client.get(SECRETS, headers=alice.headers).json()]
    assert names == ["API_TOKEN"]


def test_without_a_token_every_route_answers_401(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    responses = [
        client.get(SECRETS),
        client.put(f"{SECRETS}/API_TOKEN", json={"value": VALUE}),
        client.delete(f"{SECRETS}/API_TOKEN"),
    ]
    assert [r.status_code for r in responses] == [401, 401, 401]


@pytest.mark.parametrize(
    "name", ["api_token", "1TOKEN", "API-TOKEN", "API%20TOKEN", "A" * 65, "%C3%84PI", "__proto__"]
)
def test_a_bad_name_answers_422_with_its_field_and_changes_nothing(
    client: TestClient, alice: Person, ctx: AppContext, name: str
) -> None:
    create_server(client, alice)
    before = snapshot(ctx.db)
    for response in (
        put(client, alice, name),
        client.delete(f"{SECRETS}/{name}", headers=alice.headers),
    ):
        assert response.status_code == 422, response.text
        body = response.json()
        assert (body["error_code"], body["field"]) == ("invalid_secret_name", "name")
        assert "env.API_TOKEN" in body["message"]
        assert response.headers["cache-control"] == "no-store"
    assert snapshot(ctx.db) == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"value": ""}, "invalid_secret_value"),
        ({"value": "x" * (MAX_VALUE_BYTES + 1)}, "invalid_secret_value"),
        ({"value": "é" * (MAX_VALUE_BYTES // 2 + 1)}, "invalid_secret_value"),
        ({"value": 12345}, "validation_error"),
        ({"value": None}, "validation_error"),
        ({"value": ["a", "b"]}, "validation_error"),
        ({}, "validation_error"),
    ],
)
def test_a_bad_value_answers_422_with_its_field_and_changes_nothing(
    client: TestClient, alice: Person, ctx: AppContext, body: dict[str, Any], code: str
) -> None:
    create_server(client, alice)
    put(client, alice, "KEEP", "kept")
    before = snapshot(ctx.db)
    response = client.put(f"{SECRETS}/KEEP", json=body, headers=alice.headers)
    assert response.status_code == 422, response.text
    assert (response.json()["error_code"], response.json()["field"]) == (code, "value")
    assert snapshot(ctx.db) == before
    assert env(ctx, alice) == {"KEEP": "kept"}


def test_an_unknown_field_in_the_body_is_refused(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    response = client.put(
        f"{SECRETS}/API_TOKEN", json={"value": VALUE, "name": "OTHER"}, headers=alice.headers
    )
    assert response.status_code == 422
    assert response.json()["field"] == "name"
    assert VALUE not in response.text


def test_the_largest_value_is_accepted_and_kept_exactly(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    value = "€" * (MAX_VALUE_BYTES // 3) + "x" * (MAX_VALUE_BYTES % 3)
    assert put(client, alice, "BIG", value).status_code == 201
    assert put(client, alice, "TINY", "x").status_code == 201
    assert env(ctx, alice) == {"BIG": value, "TINY": "x"}


def test_a_server_holds_at_most_100_secrets(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    for i in range(MAX_SECRETS):
        assert put(client, alice, f"S{i:03}", f"value-{i}").status_code == 201
    before = snapshot(ctx.db)
    refused = put(client, alice, "ONE_MORE")
    assert refused.status_code == 409
    assert refused.json()["error_code"] == "secret_limit_reached"
    assert "Delete one" in refused.json()["message"]
    assert snapshot(ctx.db) == before
    assert put(client, alice, "S000", "replaced").status_code == 200  # replacing is fine
    assert client.delete(f"{SECRETS}/S001", headers=alice.headers).status_code == 204
    assert put(client, alice, "ONE_MORE").status_code == 201
    assert len(client.get(SECRETS, headers=alice.headers).json()) == MAX_SECRETS


def test_deleting_the_server_takes_its_secrets_with_it(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    put(client, alice, "API_TOKEN")
    assert client.delete("/api/v1/servers/acme-weather", headers=alice.headers).status_code == 204
    create_server(client, alice)
    assert client.get(SECRETS, headers=alice.headers).json() == []
    assert env(ctx, alice) == {}


def test_the_request_body_never_shows_its_value_in_a_repr() -> None:
    body = routes_secrets.SecretPutIn(value=VALUE)
    assert VALUE not in repr(body)
    assert VALUE not in str(body)
