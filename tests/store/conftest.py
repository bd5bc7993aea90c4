"""Fixtures for the store tests: a migrated ``Database`` and an empty database URL.

Both build on ``db_url`` from ``tests/conftest.py``, so every test that uses them runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from toolkeep.store import migrate
from toolkeep.store.database import Database


@pytest.fixture
def empty_db_url(db_url: str) -> str:
    """A database with no tables at all (``db_url`` on PostgreSQL is already migrated)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        return db_url  # the file does not exist yet
    name = "empty_" + secrets.token_hex(6)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database, as the application opens it."""
    database = Database(db_url)
    migrate.upgrade(database)
    yield database
    database.dispose()
