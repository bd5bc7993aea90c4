"""The API-key lifecycle: create, list, revoke, roll. Every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from toolkeep.actors import Actor
from toolkeep.audit.recorder import AuditRecorder
from toolkeep.clock import Clock
from toolkeep.crypto import tokens
from toolkeep.crypto.peppers import Peppers
from toolkeep.keys import rules
from toolkeep.keys.errors import KeyNotActive, KeyNotFound
from toolkeep.keys.models import KEY_PREFIX, ApiKey, KeyStatus, MintedKey
from toolkeep.keys.repository import ApiKeyRepository
from toolkeep.servers.access import resolve_server
from toolkeep.servers.models import Server
from toolkeep.store.database import Database


@dataclass(frozen=True, slots=True)
class RollResult:
    old: ApiKey
    new: MintedKey


class KeyService:
    def __init__(self, db: Database, peppers: Peppers, clock: Clock) -> None:
        self.db = db
        self.peppers = peppers
        self.clock = clock
        self.audit = AuditRecorder(clock)

    def create(
        self, actor: Actor, subdomain: str, label: str, expires_at: datetime | None = None
    ) -> MintedKey:
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            return self.mint_in(conn, actor, server, label, expires_at)

    def list_keys(self, actor: Actor, subdomain: str) -> tuple[Server, list[ApiKey]]:
        with self.db.read() as conn:
            server = resolve_server(conn, actor, subdomain)
            return server, ApiKeyRepository(conn).list_for_server(server.id)

    def revoke(self, actor: Actor, subdomain: str, kid: str, reason: str = "owner") -> ApiKey:
        reason = rules.check_reason(reason)
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            repo = ApiKeyRepository(conn)
            key = _existing(repo, server, kid)
            if key.revoked_at is not None:
                return key  # idempotent: the first revocation stands
            now = self.clock()
            repo.update(kid, revoked_at=now, revoked_by=actor.user_id, revoke_reason=reason)
            self.audit.record(conn, actor, "key.revoked", server, kid=kid, reason=reason)
            return _existing(repo, server, kid)

    def roll(self, actor: Actor, subdomain: str, kid: str, grace: str = "24h") -> RollResult:
        period = rules.check_grace(grace)
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            repo = ApiKeyRepository(conn)
            old = _existing(repo, server, kid)
            now = self.clock()
            if old.status(now) is not KeyStatus.ACTIVE:
                raise KeyNotActive(
                    f"Key '{kid}' is {old.status(now).value}; only an active key can be rolled."
                )
            ends = now + period
            if old.expires_at is not None:
                ends = min(ends, old.expires_at)
            new = self._insert(conn, actor, server, old.label, None)
            repo.update(kid, expires_at=ends, replaced_by=new.key.kid)
            self.audit.record(
                conn,
                actor,
                "key.rolled",
                server,
                kid=kid,
                new_kid=new.key.kid,
                grace=grace,
                old_expires_at=ends.isoformat(),
            )
            return RollResult(old=_existing(repo, server, kid), new=new)

    def mint_in(
        self,
        conn: Connection,
        actor: Actor,
        server: Server,
        label: str,
        expires_at: datetime | None,
    ) -> MintedKey:
        """Mint inside the caller's transaction (the server row must already be locked)."""
        label = rules.check_label(label)
        now = self.clock()
        expires_at = rules.check_expiry(expires_at, now)
        existing = ApiKeyRepository(conn).unrevoked_for_server(server.id)
        rules.check_room(existing, label, now)
        minted = self._insert(conn, actor, server, label, expires_at)
        self.audit.record(
            conn,
            actor,
            "key.created",
            server,
            kid=minted.key.kid,
            label=label,
            expires_at=expires_at.isoformat() if expires_at else None,
        )
        return minted

    def _insert(
        self,
        conn: Connection,
        actor: Actor,
        server: Server,
        label: str,
        expires_at: datetime | None,
    ) -> MintedKey:
        token = tokens.mint(KEY_PREFIX)
        key = ApiKey(
            kid=token.kid,
            server_id=server.id,
            label=label,
            last4=token.last4,
            created_at=self.clock(),
            created_by=actor.user_id,
            expires_at=expires_at,
        )
        version = self.peppers.current
        digest = self.peppers.digest(version, token.kid, token.secret)
        ApiKeyRepository(conn).insert(key, digest=digest, pepper_version=version)
        return MintedKey(key=key, plaintext=token.plaintext)

    def has_active_key(self, conn: Connection, server: Server) -> bool:
        now = self.clock()
        keys = ApiKeyRepository(conn).unrevoked_for_server(server.id)
        return any(key.status(now) in (KeyStatus.ACTIVE, KeyStatus.ROLLING) for key in keys)


def _existing(repo: ApiKeyRepository, server: Server, kid: str) -> ApiKey:
    key = repo.get(server.id, kid)
    if key is None:
        raise KeyNotFound(kid)
    return key
