"""The database handle: one SQLAlchemy engine, transactions, SQLite tuning."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from toolkeep.errors import Unavailable


def _tune_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE so writers serialize.

    Read units of work begin DEFERRED (readers never queue behind writers); single-statement
    lookups run with no transaction at all.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get(_AUTOCOMMIT):
            return
        conn.exec_driver_sql("BEGIN" if options.get(_READ) else "BEGIN IMMEDIATE")


_READ = "toolkeep_read"
_AUTOCOMMIT = "toolkeep_autocommit"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=8, max_overflow=8)
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


class Database:
    """Owns the engine. Repositories receive the ``Connection`` of a transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A read-write transaction; commits on success, rolls back on any exception."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise _unavailable(exc) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit of work: a transaction for a consistent view, never a write lock."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{_READ: True})
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise _unavailable(exc) from exc

    @contextmanager
    def lookup(self) -> Iterator[Connection]:
        """For one SELECT on a hot path: no BEGIN/COMMIT round trips around it."""
        try:
            with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    conn.execution_options(**{_AUTOCOMMIT: True})
                else:
                    conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn
        except OperationalError as exc:
            raise _unavailable(exc) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def _unavailable(exc: DBAPIError) -> Unavailable:
    locked = "locked" in str(exc.orig).lower()
    reason = "busy" if locked else "unreachable"
    return Unavailable(f"The database is {reason}; nothing was changed. Retry shortly.")
