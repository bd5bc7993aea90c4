from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.people import Person, make_person
from toolkeep.context import AppContext


@pytest.fixture
def alice(ctx: AppContext) -> Person:
    return make_person(ctx, "alice@example.com")


@pytest.fixture
def bob(ctx: AppContext) -> Person:
    return make_person(ctx, "bob@example.com")


@pytest.fixture
def admin(ctx: AppContext) -> Person:
    return make_person(ctx, "root@example.com", admin=True)


def create_server(
    client: TestClient, person: Person, subdomain: str = "acme-weather", **fields: Any
) -> dict[str, Any]:
    body = {"name": "Acme Weather", "subdomain": subdomain, **fields}
    response = client.post("/api/v1/servers", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data
