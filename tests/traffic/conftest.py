"""A migrated database on SQLite and on PostgreSQL (``db_url`` is parametrized)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from toolkeep.store import migrate
from toolkeep.store.database import Database


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    migrate.upgrade(database)
    yield database
    database.dispose()
