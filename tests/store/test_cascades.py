"""What deleting a server or a user takes with it, and what the audit trail keeps."""

from __future__ import annotations

import uuid

from sqlalchemy import Table, delete, func, insert, select

from tests.store import factories
from toolkeep.accounts.models import AccessToken
from toolkeep.accounts.repository import TokenRepository
from toolkeep.audit.models import AuditEvent
from toolkeep.audit.repository import AuditRepository
from toolkeep.crypto import tokens
from toolkeep.keys.repository import ApiKeyRepository
from toolkeep.servers.models import Server
from toolkeep.servers.repository import ServerRepository
from toolkeep.store.database import Database
from toolkeep.store.tables import api_keys, audit_events, secrets, servers, tools, users

T0 = factories.T0


def _count(db: Database, table: Table) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _populate(db: Database, subdomain: str) -> Server:
    """A server with two keys, a secret, a tool and an audit event."""
    with db.transaction() as conn:
        owner = factories.add_user(conn, f"{subdomain}@example.com")
        server = factories.add_server(conn, owner, subdomain)
        factories.add_key(conn, server, "one")
        factories.add_key(conn, server, "two")
        conn.execute(
            insert(secrets).values(
                server_id=server.id,
                name="API_TOKEN",
                sealed_value=b"\x01sealed",
                created_at=T0,
                updated_at=T0,
            )
        )
        conn.execute(
            insert(tools).values(
                id=uuid.uuid4(),
                server_id=server.id,
                name="get_weather",
                description="",
                parameters={"type": "object"},
                code="return 1;",
                created_at=T0,
                updated_at=T0,
            )
        )
        AuditRepository(conn).append(
            AuditEvent(
                event="server.created",
                at=T0,
                server_id=server.id,
                subdomain=subdomain,
                actor_id=owner.id,
                actor=owner.email,
            )
        )
    return server


def test_deleting_a_server_deletes_its_keys_secrets_and_tools(db: Database) -> None:
    doomed = _populate(db, "doomed")
    kept = _populate(db, "kept")

    with db.transaction() as conn:
        ServerRepository(conn).delete(doomed.id)

    with db.read() as conn:
        assert ApiKeyRepository(conn).list_for_server(doomed.id) == []
        assert len(ApiKeyRepository(conn).list_for_server(kept.id)) == 2
        for table in (secrets, tools):
            rows = conn.execute(select(table.c.server_id)).scalars().all()
            assert rows == [kept.id]


def test_deleting_a_server_keeps_its_audit_rows(db: Database) -> None:
    doomed = _populate(db, "doomed")

    with db.transaction() as conn:
        ServerRepository(conn).delete(doomed.id)

    with db.read() as conn:
        trail = AuditRepository(conn).list_for_server(doomed.id)
    assert [(e.event, e.subdomain) for e in trail] == [("server.created", "doomed")]


def test_deleting_a_user_deletes_their_servers_keys_and_tokens_but_not_the_audit_trail(
    db: Database,
) -> None:
    server = _populate(db, "doomed")
    with db.transaction() as conn:
        minted = tokens.mint("tkpat")
        token = AccessToken(
            kid=minted.kid,
            user_id=server.owner_id,
            label="cli",
            last4=minted.last4,
            created_at=T0,
        )
        TokenRepository(conn).insert(token, digest=factories.DIGEST, pepper_version=1)

    with db.transaction() as conn:
        conn.execute(delete(users).where(users.c.id == server.owner_id))

    assert _count(db, servers) == 0
    assert _count(db, api_keys) == 0
    with db.read() as conn:
        assert TokenRepository(conn).get_with_digest(token.kid) is None
    assert _count(db, audit_events) == 1
