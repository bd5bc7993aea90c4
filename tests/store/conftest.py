"""Fixtures for the store tests: an empty database URL (the migrated ``db`` is in
``tests/conftest.py``).

It builds on ``db_url`` from ``tests/conftest.py``, so every test that uses it runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


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
