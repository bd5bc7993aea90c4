"""A full dump of every table, to prove a failed request changed nothing.

Usage bookkeeping (a token's last-used time, written when the request authenticates)
is left out: it records the attempt, not a change the request asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from toolkeep.store.database import Database
from toolkeep.store.tables import metadata

BOOKKEEPING = {("personal_access_tokens", "last_used_at")}


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    dump: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in BOOKKEEPING]
            rows = conn.execute(select(*columns))
            dump[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return dump


def stored_bytes(db: Database, data_dir: Path) -> bytes:
    """Every byte a SQLite deployment keeps on disk: the data dir and the database files
    (WAL and journal included, after a checkpoint). Empty for other backends."""
    if db.dialect != "sqlite":
        return b""
    db.dispose()  # checkpoint the WAL so every byte is in the files read
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    database = Path(db.url.removeprefix("sqlite:///"))
    files += [p for p in database.parent.glob(database.name + "*") if p.is_file()]
    raw = b"".join(p.read_bytes() for p in files)
    assert b"acme-weather" in raw  # the files read are the real database
    return raw
