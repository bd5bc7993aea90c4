"""Shared fixtures: a fresh database on SQLite and on PostgreSQL, settings, context, client.

``db_url`` is parametrized over both backends; any test (directly or through ``settings``,
``ctx`` or ``client``) that uses it runs twice. A PostgreSQL cluster is started once per
session; each test gets a new database cloned from a migrated template.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from tests.support.clock import ManualClock
from tests.support.postgres import postgres_server
from toolkeep.app import create_app
from toolkeep.context import AppContext, open_context
from toolkeep.settings import Settings
from toolkeep.store import migrate
from toolkeep.store.database import Database

TEMPLATE = "toolkeep_template"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with postgres_server() as url:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE}"))
            conn.execute(text(f"CREATE DATABASE {TEMPLATE}"))
        engine.dispose()
        template = Database(make_url(url).set(database=TEMPLATE).render_as_string(False))
        migrate.upgrade(template)
        template.dispose()
        yield url


def _new_pg_database(admin_url: str) -> str:
    name = "t_" + secrets.token_hex(6)
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'toolkeep.db'}"
    admin: str = request.getfixturevalue("pg_admin_url")
    return _new_pg_database(admin)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database, as the application opens it (repository tests)."""
    database = Database(db_url)
    migrate.upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        allowed_hosts=["testserver"],
        _env_file=None,
    )


@pytest.fixture
def ctx(settings: Settings, clock: ManualClock) -> Iterator[AppContext]:
    with open_context(settings, clock=clock) as context:
        yield context


@pytest.fixture
def client(settings: Settings, clock: ManualClock, ctx: AppContext) -> Iterator[TestClient]:
    """The real ASGI app (lifespan included) over the same database as ``ctx``."""
    with TestClient(create_app(settings, clock=clock)) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's TOOLKEEP_* variables (key files, database) must never reach a test."""
    import os

    for name in list(os.environ):
        if name.startswith("TOOLKEEP_") and not name.startswith("TOOLKEEP_TEST_"):
            monkeypatch.delenv(name)
