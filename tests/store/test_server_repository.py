"""``ServerRepository`` against a real database, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.store import factories
from toolkeep.servers.errors import SubdomainTaken
from toolkeep.servers.models import SecurityMode
from toolkeep.servers.repository import ServerRepository
from toolkeep.store.database import Database
from toolkeep.store.tables import servers


def test_an_inserted_server_reads_back_equal(db: Database) -> None:
    with db.transaction() as conn:
        owner = factories.add_user(conn)
        server = replace(
            factories.server(owner, "acme-weather", mode=SecurityMode.UNLISTED),
            description="Forecasts ☀️",
            unlisted_secret=b"\x01sealed\x00bytes",
        )
        ServerRepository(conn).insert(server)

    with db.read() as conn:
        loaded = ServerRepository(conn).get_by_subdomain("acme-weather")

    assert loaded == server
    assert loaded is not None
    assert loaded.security_mode is SecurityMode.UNLISTED


def test_an_unknown_subdomain_reads_as_none(db: Database) -> None:
    with db.read() as conn:
        assert ServerRepository(conn).get_by_subdomain("nope") is None


def test_a_server_can_be_read_for_update_inside_a_transaction(db: Database) -> None:
    with db.transaction() as conn:
        server = factories.add_server(conn, factories.add_user(conn))
    with db.transaction() as conn:
        assert ServerRepository(conn).get_by_subdomain(server.subdomain, for_update=True) == server


def test_servers_are_listed_by_subdomain_and_filtered_by_owner(db: Database) -> None:
    with db.transaction() as conn:
        alice = factories.add_user(conn, "alice@example.com")
        bob = factories.add_user(conn, "bob@example.com")
        for owner, subdomain in [(alice, "zeta"), (bob, "beta"), (alice, "alpha")]:
            factories.add_server(conn, owner, subdomain)

    with db.read() as conn:
        repo = ServerRepository(conn)
        everything = [s.subdomain for s in repo.list_all(None)]
        alices = [s.subdomain for s in repo.list_all(alice.id)]

    assert everything == ["alpha", "beta", "zeta"]
    assert alices == ["alpha", "zeta"]


def test_an_update_changes_only_the_given_columns(db: Database) -> None:
    with db.transaction() as conn:
        server = factories.add_server(conn, factories.add_user(conn))
    later = server.updated_at + timedelta(minutes=5)

    with db.transaction() as conn:
        ServerRepository(conn).update(
            server.id, name="Renamed", security_mode=SecurityMode.PUBLIC, updated_at=later
        )

    with db.read() as conn:
        loaded = ServerRepository(conn).get_by_subdomain(server.subdomain)
    assert loaded == replace(
        server, name="Renamed", security_mode=SecurityMode.PUBLIC, updated_at=later
    )


def test_a_deleted_server_is_gone(db: Database) -> None:
    with db.transaction() as conn:
        server = factories.add_server(conn, factories.add_user(conn))
    with db.transaction() as conn:
        ServerRepository(conn).delete(server.id)
    with db.read() as conn:
        assert ServerRepository(conn).get_by_subdomain(server.subdomain) is None


def test_a_duplicate_subdomain_raises_subdomain_taken_and_leaves_the_table_unchanged(
    db: Database,
) -> None:
    with db.transaction() as conn:
        owner = factories.add_user(conn)
        first = factories.add_server(conn, owner, "weather")

    with db.transaction() as conn:
        repo = ServerRepository(conn)
        duplicate = replace(factories.server(owner, "weather"), name="Impostor")
        with pytest.raises(SubdomainTaken) as caught:
            repo.insert(duplicate)
        # The failed insert is rolled back to a savepoint; the transaction goes on.
        after = factories.add_server(conn, owner, "weather-2")

    assert caught.value.code == "subdomain_taken"
    assert caught.value.field == "subdomain"
    with db.read() as conn:
        repo = ServerRepository(conn)
        assert repo.list_all(None) == [first, after]
        assert repo.get_by_subdomain("weather") == first
        assert conn.execute(select(func.count()).select_from(servers)).scalar_one() == 2
