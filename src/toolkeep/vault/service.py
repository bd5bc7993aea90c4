"""Set, delete and list a server's secrets; open them only for the code about to run.

Values are write-only: no method returns one to a person. Every change is audited with
the secret's name, never its value (nor its length).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from toolkeep.actors import Actor
from toolkeep.audit.recorder import AuditRecorder
from toolkeep.clock import Clock
from toolkeep.crypto.sealing import SealBroken, Sealer
from toolkeep.servers.access import resolve_server
from toolkeep.store.database import Database
from toolkeep.vault import rules
from toolkeep.vault.errors import SecretNotFound, SecretUnreadable
from toolkeep.vault.models import SecretInfo, seal_context
from toolkeep.vault.repository import SecretRepository


class VaultService:
    def __init__(self, db: Database, sealer: Sealer, clock: Clock) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self.audit = AuditRecorder(clock)

    def put(self, actor: Actor, subdomain: str, name: str, value: str) -> tuple[SecretInfo, bool]:
        """Create the secret or replace its value; ``True`` when it was created."""
        name = rules.check_name(name)
        value = rules.check_value(value)
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            repo = SecretRepository(conn)
            if repo.get(server.id, name) is None:
                rules.check_room(repo.count_for_server(server.id))
            sealed = self.sealer.seal(value, seal_context(server.id, name))
            info, created = repo.upsert(server.id, name, sealed, self.clock())
            self.audit.record(conn, actor, "secret.set", server, name=name)
            return info, created

    def delete(self, actor: Actor, subdomain: str, name: str) -> None:
        name = rules.check_name(name)
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            if not SecretRepository(conn).delete(server.id, name):
                raise SecretNotFound(name)
            self.audit.record(conn, actor, "secret.deleted", server, name=name)

    def list_names(self, actor: Actor, subdomain: str) -> list[SecretInfo]:
        """Names and times, in name order."""
        with self.db.read() as conn:
            server = resolve_server(conn, actor, subdomain)
            return SecretRepository(conn).list_for_server(server.id)

    def load_env(self, server_id: uuid.UUID) -> dict[str, str]:
        """The decrypted secrets of one server, with no access check.

        Only for the tool runtime, just before that server's code runs; never for a person.
        One SELECT, no transaction around it.
        """
        with self.db.lookup() as conn:
            rows = SecretRepository(conn).sealed_for_server(server_id)
        return open_env(self.sealer, server_id, rows)


def open_env(
    sealer: Sealer, server_id: uuid.UUID, rows: Iterable[tuple[str, bytes]]
) -> dict[str, str]:
    """Decrypt (name, sealed) rows of ``server_id``; a value bound elsewhere does not open."""
    env: dict[str, str] = {}
    for name, sealed in rows:
        try:
            env[name] = sealer.open(sealed, seal_context(server_id, name))
        except SealBroken:
            raise SecretUnreadable(name) from None
    return env
