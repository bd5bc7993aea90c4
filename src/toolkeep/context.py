"""The process-wide objects: settings, database, key material and the services.

Built by the app's lifespan and by CLI commands alike, so both act on the same rules.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from toolkeep.accounts.service import AccountService
from toolkeep.clock import Clock, system_clock
from toolkeep.crypto.keyfiles import KeyMaterial, load_key_material
from toolkeep.keys.service import KeyService
from toolkeep.keys.verifier import KeyVerifier
from toolkeep.servers.service import ServerService
from toolkeep.settings import Settings
from toolkeep.store import migrate
from toolkeep.store.database import Database
from toolkeep.tools.service import ToolService
from toolkeep.vault.service import VaultService

log = logging.getLogger("toolkeep")


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    db: Database
    material: KeyMaterial
    clock: Clock
    accounts: AccountService
    keys: KeyService
    servers: ServerService
    verifier: KeyVerifier
    tools: ToolService
    vault: VaultService


def build_context(settings: Settings, *, clock: Clock = system_clock) -> AppContext:
    material = load_key_material(settings)
    db = Database(settings.resolved_database_url)
    keys = KeyService(db, material.peppers, clock)
    return AppContext(
        settings=settings,
        db=db,
        material=material,
        clock=clock,
        accounts=AccountService(db, material.peppers, clock),
        keys=keys,
        servers=ServerService(db, keys, material.sealer, clock),
        verifier=KeyVerifier(db, material.peppers, clock),
        tools=ToolService(db, clock),
        vault=VaultService(db, material.sealer, clock),
    )


@contextmanager
def open_context(
    settings: Settings, *, clock: Clock = system_clock, migrate_db: bool | None = None
) -> Iterator[AppContext]:
    ctx = build_context(settings, clock=clock)
    try:
        if settings.auto_migrate if migrate_db is None else migrate_db:
            migrate.upgrade(ctx.db)
        yield ctx
    finally:
        ctx.db.dispose()
