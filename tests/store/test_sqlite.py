"""SQLite tuning: WAL, foreign keys, a busy timeout, and writers that lock at BEGIN."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from tests.store import factories
from toolkeep.store import migrate
from toolkeep.store.database import Database
from toolkeep.store.tables import api_keys


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "toolkeep.db"


@pytest.fixture
def sqlite_db(sqlite_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{sqlite_path}")
    migrate.upgrade(database)
    yield database
    database.dispose()


def test_the_database_file_and_its_parent_directories_are_created(
    sqlite_db: Database, sqlite_path: Path
) -> None:
    assert sqlite_db.dialect == "sqlite"
    assert sqlite_path.is_file()


def test_sqlite_runs_in_wal_mode(sqlite_db: Database, sqlite_path: Path) -> None:
    with sqlite_db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    # WAL is a property of the file: a plain connection sees it too.
    with sqlite3.connect(sqlite_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sqlite_connections_enforce_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.read() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1

    orphan = factories.api_key(factories.server(factories.user()))
    with pytest.raises(IntegrityError), sqlite_db.transaction() as conn:
        conn.execute(
            insert(api_keys).values(
                kid=orphan.kid,
                server_id=uuid.uuid4(),
                label="x",
                digest=b"d" * 32,
                pepper_version=1,
                last4=orphan.last4,
                created_at=orphan.created_at,
            )
        )


def test_sqlite_connections_wait_for_a_busy_database(sqlite_db: Database) -> None:
    with sqlite_db.read() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 5000
        assert conn.execute(text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL


def test_a_write_transaction_takes_the_write_lock_when_it_begins(
    sqlite_db: Database, sqlite_path: Path
) -> None:
    """BEGIN IMMEDIATE: two writers serialize at BEGIN instead of failing at COMMIT."""
    other = sqlite3.connect(sqlite_path, timeout=0, isolation_level=None)
    try:
        with sqlite_db.transaction() as conn:
            conn.execute(text("SELECT 1"))  # no write yet, but the lock is already held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after commit
        other.execute("ROLLBACK")
    finally:
        other.close()
