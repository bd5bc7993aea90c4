"""Fixtures for the tool service tests: two owners, a server each, a ToolService."""

from __future__ import annotations

import pytest

from toolkeep.actors import Actor
from toolkeep.context import AppContext
from toolkeep.servers.models import SecurityMode
from toolkeep.tools.models import Parameter, ToolSpec
from toolkeep.tools.service import ToolService


def owner(ctx: AppContext, email: str, *, admin: bool = False) -> Actor:
    user = ctx.accounts.create_user(email, "correct horse battery", is_admin=admin)
    return Actor(user_id=user.id, name=user.email, is_admin=admin)


@pytest.fixture
def service(ctx: AppContext) -> ToolService:
    return ToolService(ctx.db, ctx.clock)


@pytest.fixture
def alice(ctx: AppContext) -> Actor:
    actor = owner(ctx, "alice@example.com")
    ctx.servers.create(
        actor, name="Weather", subdomain="acme-weather", security_mode=SecurityMode.PUBLIC
    )
    return actor


@pytest.fixture
def bob(ctx: AppContext) -> Actor:
    actor = owner(ctx, "bob@example.com")
    ctx.servers.create(
        actor, name="Bob's", subdomain="bob-tools", security_mode=SecurityMode.PUBLIC
    )
    return actor


def weather_spec(name: str = "get_weather", **fields: object) -> ToolSpec:
    values: dict[str, object] = {
        "name": name,
        "description": "Current weather for a city",
        "code": "return `Sunny in ${params.city}`;",
        "parameters": (
            Parameter("city", "string", "The city", required=True),
            Parameter("days", "integer", default=1),
        ),
        **fields,
    }
    return ToolSpec(**values)  # type: ignore[arg-type]
