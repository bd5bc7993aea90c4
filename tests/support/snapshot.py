"""A full dump of every table, to prove a failed request changed nothing.

Usage bookkeeping (a token's last-used time, written when the request authenticates)
is left out: it records the attempt, not a change the request asked for.
"""

from __future__ import annotations

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
