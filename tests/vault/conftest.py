"""Fixtures for the vault tests: two owners with a server each, and a VaultService."""

from __future__ import annotations

import pytest

from toolkeep.actors import Actor
from toolkeep.context import AppContext
from toolkeep.servers.models import SecurityMode, Server
from toolkeep.vault.service import VaultService


def owner(ctx: AppContext, email: str, *, admin: bool = False) -> Actor:
    user = ctx.accounts.create_user(email, "correct horse battery", is_admin=admin)
    return Actor(user_id=user.id, name=user.email, is_admin=admin)


def server_of(ctx: AppContext, actor: Actor, subdomain: str) -> Server:
    return ctx.servers.get(actor, subdomain)


@pytest.fixture
def vault(ctx: AppContext) -> VaultService:
    return VaultService(ctx.db, ctx.material.sealer, ctx.clock)


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
