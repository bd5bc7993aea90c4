"""The Alembic migrations build exactly the schema ``toolkeep.store.tables`` describes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, inspect

from toolkeep.store import migrate
from toolkeep.store.database import Database
from toolkeep.store.tables import metadata

APP_TABLES = set(metadata.tables)


@pytest.fixture
def empty_db(empty_db_url: str) -> Iterator[Database]:
    database = Database(empty_db_url)
    yield database
    database.dispose()


def _schema_diff(db: Database, target: MetaData) -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diffs: list[Any] = compare_metadata(context, target)
        return diffs


def _table_names(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_an_empty_database_has_no_revision(empty_db: Database) -> None:
    assert migrate.current(empty_db) is None
    assert _table_names(empty_db) == set()


def test_upgrade_brings_an_empty_database_to_head(empty_db: Database) -> None:
    migrate.upgrade(empty_db)

    assert {"users", "servers", "api_keys", "audit_events"} <= APP_TABLES
    assert migrate.head() is not None
    assert migrate.current(empty_db) == migrate.head()
    assert _table_names(empty_db) == APP_TABLES | {"alembic_version"}


def test_the_migrated_schema_matches_the_table_definitions(empty_db: Database) -> None:
    migrate.upgrade(empty_db)

    assert _schema_diff(empty_db, metadata) == []


def test_the_schema_comparison_notices_a_column_the_migrations_lack(empty_db: Database) -> None:
    migrate.upgrade(empty_db)
    drifted = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["api_keys"].append_column(Column("note", String(200), nullable=True))

    diffs = _schema_diff(empty_db, drifted)

    assert [(d[0], d[2], d[3].name) for d in diffs] == [("add_column", "api_keys", "note")]


def test_upgrading_twice_changes_nothing(empty_db: Database) -> None:
    migrate.upgrade(empty_db)
    migrate.upgrade(empty_db)

    assert migrate.current(empty_db) == migrate.head()
    assert _schema_diff(empty_db, metadata) == []


def test_downgrade_to_base_removes_every_table(empty_db: Database) -> None:
    migrate.upgrade(empty_db)

    migrate.downgrade(empty_db, "base")

    assert migrate.current(empty_db) is None
    assert _table_names(empty_db) == {"alembic_version"}


def test_a_downgraded_database_upgrades_again(empty_db: Database) -> None:
    migrate.upgrade(empty_db)
    migrate.downgrade(empty_db, "base")

    migrate.upgrade(empty_db)

    assert migrate.current(empty_db) == migrate.head()
    assert _schema_diff(empty_db, metadata) == []


def test_the_test_fixture_database_is_already_at_head(db: Database) -> None:
    assert migrate.current(db) == migrate.head()


def test_every_revision_upgrades_and_downgrades_one_step_at_a_time(empty_db: Database) -> None:
    script = ScriptDirectory(str(migrate.MIGRATIONS))
    chain = [rev.revision for rev in reversed(list(script.walk_revisions()))]  # base → head
    assert chain[-1] == migrate.head()

    for revision in chain:
        migrate.upgrade(empty_db, revision)
        assert migrate.current(empty_db) == revision
    assert _schema_diff(empty_db, metadata) == []

    for previous in [*reversed(chain[:-1]), None]:
        migrate.downgrade(empty_db, previous or "base")
        assert migrate.current(empty_db) == previous
    assert _table_names(empty_db) == {"alembic_version"}
