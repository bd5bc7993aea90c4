"""Fixtures for the vault tests: two owners with a server each, and a VaultService."""

from __future__ import annotations

import pytest

from tests.support.owners import alice, bob  # noqa: F401 (fixtures)
from toolkeep.actors import Actor
from toolkeep.context import AppContext
from toolkeep.servers.models import Server
from toolkeep.vault.service import VaultService


def server_of(ctx: AppContext, actor: Actor, subdomain: str) -> Server:
    return ctx.servers.get(actor, subdomain)


@pytest.fixture
def vault(ctx: AppContext) -> VaultService:
    return VaultService(ctx.db, ctx.material.sealer, ctx.clock)
