"""The hot-path reader: prepared reads on one kept connection, replaced when it breaks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from toolkeep.errors import Unavailable
from toolkeep.store.database import Database
from toolkeep.store.fastread import FastReader

SQL = "SELECT {p} + 1"


def test_reads_run_on_one_kept_connection_and_after_close_on_a_new_one(db: Database) -> None:
    reader = FastReader(db.url)
    sql = reader.sql(SQL)
    assert reader.fetchone(sql, (1,)) == (2,)
    first = reader._conn
    assert reader.fetchone(sql, (2,)) == (3,)
    assert reader._conn is first
    reader.close()
    assert reader.fetchall(sql, (3,)) == [(4,)]
    assert reader.fetchone(sql, (4,)) == (5,)
    assert reader._conn is not first
    reader.close()


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_replaced_on_the_next_read(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("the server ends the session")
    reader = FastReader(db.url)
    sql = reader.sql(SQL)
    assert reader.fetchone(sql, (1,)) == (2,)
    pid = reader._conn.info.backend_pid
    with db.transaction() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    assert reader.fetchone(sql, (2,)) == (3,)
    assert reader._conn.info.backend_pid != pid
    reader.close()


def test_a_database_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    reader = FastReader(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    with pytest.raises(Unavailable):
        reader.fetchone(reader.sql(SQL), (1,))
