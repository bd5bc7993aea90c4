"""Create, read, update and delete servers; mode switches mint the first key."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection

from toolkeep.actors import Actor
from toolkeep.audit.models import AuditEvent
from toolkeep.audit.recorder import AuditRecorder
from toolkeep.audit.repository import AuditRepository
from toolkeep.clock import Clock
from toolkeep.crypto import base62
from toolkeep.crypto.sealing import Sealer
from toolkeep.keys.models import MintedKey
from toolkeep.keys.repository import ApiKeyRepository
from toolkeep.keys.service import KeyService
from toolkeep.servers import validation
from toolkeep.servers.access import resolve_server
from toolkeep.servers.errors import InvalidServerField, SubdomainTaken
from toolkeep.servers.models import SecurityMode, Server, ServerChanges
from toolkeep.servers.repository import ServerRepository
from toolkeep.store.database import Database

UNLISTED_SECRET_LEN = 48
FIRST_KEY_LABEL = "default"


@dataclass(frozen=True, slots=True)
class ServerResult:
    """A server, plus the key minted by this call (shown once), if any."""

    server: Server
    minted_key: MintedKey | None = None


class ServerService:
    def __init__(self, db: Database, keys: KeyService, sealer: Sealer, clock: Clock) -> None:
        self.db = db
        self.keys = keys
        self.sealer = sealer
        self.clock = clock
        self.audit = AuditRecorder(clock)

    def create(
        self,
        actor: Actor,
        *,
        name: str,
        subdomain: str,
        description: str = "",
        security_mode: SecurityMode = SecurityMode.API_KEY,
    ) -> ServerResult:
        if actor.user_id is None:
            raise InvalidServerField("A server needs an owner; act as a user.", field="owner")
        now = self.clock()
        server = Server(
            id=uuid.uuid4(),
            owner_id=actor.user_id,
            name=validation.check_name(name),
            subdomain=validation.check_subdomain(subdomain),
            description=validation.check_description(description),
            security_mode=security_mode,
            created_at=now,
            updated_at=now,
        )
        with self.db.transaction() as conn:
            repo = ServerRepository(conn)
            if repo.get_by_subdomain(server.subdomain) is not None:
                raise SubdomainTaken(server.subdomain)
            repo.insert(server)
            self.audit.record(conn, actor, "server.created", server, mode=security_mode.value)
            return self._enter_mode(conn, actor, server, security_mode)

    def get(self, actor: Actor, subdomain: str) -> Server:
        with self.db.read() as conn:
            return resolve_server(conn, actor, subdomain)

    def list_visible(self, actor: Actor) -> list[Server]:
        with self.db.read() as conn:
            return ServerRepository(conn).list_all(None if actor.is_admin else actor.user_id)

    def update(self, actor: Actor, subdomain: str, changes: ServerChanges) -> ServerResult:
        values: dict[str, object] = {}
        if changes.name is not None:
            values["name"] = validation.check_name(changes.name)
        if changes.description is not None:
            values["description"] = validation.check_description(changes.description)
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            if values:
                ServerRepository(conn).update(server.id, updated_at=self.clock(), **values)
                self.audit.record(conn, actor, "server.updated", server, fields=sorted(values))
            server = resolve_server(conn, actor, subdomain)
            mode = changes.security_mode
            if mode is None or mode is server.security_mode:
                return ServerResult(server)
            ServerRepository(conn).update(server.id, security_mode=mode, updated_at=self.clock())
            self.audit.record(
                conn,
                actor,
                "server.mode_changed",
                server,
                old=server.security_mode.value,
                new=mode.value,
            )
            return self._enter_mode(conn, actor, resolve_server(conn, actor, subdomain), mode)

    def delete(self, actor: Actor, subdomain: str) -> None:
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            ServerRepository(conn).delete(server.id)
            self.audit.record(conn, actor, "server.deleted", server, name=server.name)

    def unlisted_secret(self, server: Server) -> str | None:
        if server.security_mode is not SecurityMode.UNLISTED or server.unlisted_secret is None:
            return None
        return self.sealer.open(server.unlisted_secret, _seal_context(server))

    def regenerate_unlisted_secret(self, actor: Actor, subdomain: str) -> Server:
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            if server.security_mode is not SecurityMode.UNLISTED:
                raise InvalidServerField(
                    "Only an unlisted server has a secret URL; switch the mode first.",
                    field="security_mode",
                )
            self._store_unlisted_secret(conn, server)
            self.audit.record(conn, actor, "server.unlisted_secret_regenerated", server)
            return resolve_server(conn, actor, subdomain)

    def audit_trail(
        self, actor: Actor, subdomain: str, *, limit: int = 100, before_id: int | None = None
    ) -> list[AuditEvent]:
        with self.db.read() as conn:
            server = resolve_server(conn, actor, subdomain)
            repo = AuditRepository(conn)
            return repo.list_for_server(server.id, limit=limit, before_id=before_id)

    def _enter_mode(
        self, conn: Connection, actor: Actor, server: Server, mode: SecurityMode
    ) -> ServerResult:
        if mode is SecurityMode.UNLISTED and server.unlisted_secret is None:
            self._store_unlisted_secret(conn, server)
        minted = None
        if mode is SecurityMode.API_KEY and not self.keys.has_active_key(conn, server):
            minted = self.keys.mint_in(
                conn, actor, server, _free_label(conn, self.keys, server), None
            )
        return ServerResult(resolve_server(conn, actor, server.subdomain), minted)

    def _store_unlisted_secret(self, conn: Connection, server: Server) -> None:
        secret = base62.encode(secrets.randbits(285), UNLISTED_SECRET_LEN)
        sealed = self.sealer.seal(secret, _seal_context(server))
        ServerRepository(conn).update(server.id, unlisted_secret=sealed, updated_at=self.clock())


def _seal_context(server: Server) -> str:
    return f"server:{server.id}:unlisted"


def _free_label(conn: Connection, keys: KeyService, server: Server) -> str:
    """``default``, unless a dormant-but-unexpired key already holds it."""
    now = keys.clock()
    taken = {
        k.label
        for k in ApiKeyRepository(conn).unrevoked_for_server(server.id)
        if k.holds_label(now)
    }
    label, n = FIRST_KEY_LABEL, 1
    while label in taken:
        n += 1
        label = f"{FIRST_KEY_LABEL}-{n}"
    return label
