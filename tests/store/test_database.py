"""``Database``: transactions commit or roll back as a whole; an unreachable store is 503."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from tests.store import factories
from toolkeep.accounts.repository import UserRepository
from toolkeep.errors import Unavailable
from toolkeep.store.database import Database
from toolkeep.store.tables import users


class Boom(Exception):
    pass


def _users(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def test_the_dialect_names_the_backend(db: Database, db_url: str) -> None:
    assert db.dialect == ("sqlite" if db_url.startswith("sqlite") else "postgresql")


def test_a_transaction_commits_when_its_block_succeeds(db: Database) -> None:
    with db.transaction() as conn:
        factories.add_user(conn, "a@example.com")
        factories.add_user(conn, "b@example.com")

    assert _users(db) == 2


def test_a_transaction_rolls_back_everything_when_its_block_raises(db: Database) -> None:
    seen_inside: list[int] = []

    def add_then_fail() -> None:
        with db.transaction() as conn:
            factories.add_user(conn, "a@example.com")
            seen_inside.append(UserRepository(conn).count())
            raise Boom

    with pytest.raises(Boom):
        add_then_fail()

    assert seen_inside == [1]
    assert _users(db) == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens once the socket is closed


def test_an_unreachable_postgres_raises_unavailable_not_a_driver_error() -> None:
    db = Database(f"postgresql+psycopg://toolkeep@127.0.0.1:{_closed_port()}/toolkeep")
    try:
        with pytest.raises(Unavailable) as caught, db.transaction():
            pass
    finally:
        db.dispose()

    assert caught.value.status == 503
    assert "unreachable" in caught.value.message
