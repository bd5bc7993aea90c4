"""Two server owners, as service-level actors (each with one public server).

Import the fixtures into a package's conftest: ``from tests.support.owners import alice, bob``.
"""

from __future__ import annotations

import pytest

from toolkeep.actors import Actor
from toolkeep.context import AppContext
from toolkeep.servers.models import SecurityMode


def owner(ctx: AppContext, email: str, *, admin: bool = False) -> Actor:
    user = ctx.accounts.create_user(email, "correct horse battery", is_admin=admin)
    return Actor(user_id=user.id, name=user.email, is_admin=admin)


def owner_with_server(ctx: AppContext, email: str, name: str, subdomain: str) -> Actor:
    actor = owner(ctx, email)
    ctx.servers.create(actor, name=name, subdomain=subdomain, security_mode=SecurityMode.PUBLIC)
    return actor


@pytest.fixture
def alice(ctx: AppContext) -> Actor:
    return owner_with_server(ctx, "alice@example.com", "Weather", "acme-weather")


@pytest.fixture
def bob(ctx: AppContext) -> Actor:
    return owner_with_server(ctx, "bob@example.com", "Bob's", "bob-tools")
