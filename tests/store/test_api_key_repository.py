"""``ApiKeyRepository`` against a real database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.store import factories
from toolkeep.keys.repository import ApiKeyRepository
from toolkeep.store.database import Database
from toolkeep.store.tables import api_keys

T0 = factories.T0


def test_an_inserted_key_reads_back_equal_with_every_field(db: Database) -> None:
    with db.transaction() as conn:
        server = factories.add_server(conn, factories.add_user(conn))
        key = factories.api_key(
            server,
            "laptop",
            expires_at=T0 + timedelta(days=30),
            last_used_at=T0 + timedelta(minutes=1),
            last_used_ip="2001:db8::1",
            last_used_client="claude-ai 0.1.0",
        )
        ApiKeyRepository(conn).insert(key, digest=factories.DIGEST, pepper_version=3)

    with db.read() as conn:
        assert ApiKeyRepository(conn).get(server.id, key.kid) == key


def test_the_digest_and_pepper_version_are_stored_but_never_loaded_into_the_model(
    db: Database,
) -> None:
    with db.transaction() as conn:
        server = factories.add_server(conn, factories.add_user(conn))
        key = factories.api_key(server)
        ApiKeyRepository(conn).insert(key, digest=factories.DIGEST, pepper_version=7)

    with db.read() as conn:
        row = conn.execute(
            select(api_keys.c.digest, api_keys.c.pepper_version).where(api_keys.c.kid == key.kid)
        ).one()
        loaded = ApiKeyRepository(conn).get(server.id, key.kid)

    assert (bytes(row.digest), row.pepper_version) == (factories.DIGEST, 7)
    assert not hasattr(loaded, "digest")


def test_a_key_is_not_found_through_another_server(db: Database) -> None:
    with db.transaction() as conn:
        owner = factories.add_user(conn)
        mine = factories.add_server(conn, owner, "mine")
        other = factories.add_server(conn, owner, "other")
        key = factories.add_key(conn, mine)

    with db.read() as conn:
        repo = ApiKeyRepository(conn)
        assert repo.get(other.id, key.kid) is None
        assert repo.get(mine.id, "0000000000000000") is None


def test_keys_are_listed_oldest_first_per_server(db: Database) -> None:
    with db.transaction() as conn:
        owner = factories.add_user(conn)
        server = factories.add_server(conn, owner, "mine")
        other = factories.add_server(conn, owner, "other")
        newer = factories.add_key(conn, server, "newer", created_at=T0 + timedelta(hours=1))
        older = factories.add_key(conn, server, "older", created_at=T0)
        factories.add_key(conn, other, "elsewhere")

    with db.read() as conn:
        assert ApiKeyRepository(conn).list_for_server(server.id) == [older, newer]


def test_unrevoked_keys_leave_out_revoked_ones_but_keep_expired_ones(db: Database) -> None:
    with db.transaction() as conn:
        server = factories.add_server(conn, factories.add_user(conn))
        live = factories.add_key(conn, server, "live")
        expired = factories.add_key(conn, server, "expired", expires_at=T0 - timedelta(days=1))
        factories.add_key(conn, server, "revoked", revoked_at=T0, revoke_reason="owner")

    with db.read() as conn:
        found = ApiKeyRepository(conn).unrevoked_for_server(server.id)

    assert sorted(found, key=lambda k: k.label) == [expired, live]


def test_an_update_records_revocation_and_last_use(db: Database) -> None:
    with db.transaction() as conn:
        server = factories.add_server(conn, factories.add_user(conn))
        key = factories.add_key(conn, server)
    revoked_at = T0 + timedelta(hours=2)

    with db.transaction() as conn:
        ApiKeyRepository(conn).update(
            key.kid,
            revoked_at=revoked_at,
            revoked_by=server.owner_id,
            revoke_reason="compromised",
            last_used_at=T0 + timedelta(hours=1),
            last_used_ip="192.0.2.7",
        )

    with db.read() as conn:
        loaded = ApiKeyRepository(conn).get(server.id, key.kid)
    assert loaded is not None
    assert loaded.revoked_at == revoked_at
    assert loaded.revoke_reason == "compromised"
    assert loaded.revoked_by == server.owner_id
    assert loaded.last_used_ip == "192.0.2.7"
    assert loaded.label == key.label
