"""SQL for ``traffic_log``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, delete, select

from toolkeep.store.tables import traffic_log
from toolkeep.traffic.models import TrafficEntry, TrafficFilter

COLUMNS: Final = (
    "at", "server_id", "method", "tool", "http_status", "rpc_error", "error_code",
    "duration_ms", "client_ip", "session_id", "kid", "client", "count",
)  # fmt: skip
# A traffic row as buffered: the COLUMNS values in order, ``at`` an aware datetime.
Row = tuple[Any, ...]
CHUNK: Final = 100  # rows per INSERT statement (13 parameters each)


def entry_row(entry: TrafficEntry) -> Row:
    """A ``TrafficEntry`` as a buffered row."""
    return (
        entry.at, entry.server_id, entry.method, entry.tool, entry.http_status, entry.rpc_error,
        entry.error_code, entry.duration_ms, entry.client_ip, entry.session_id, entry.kid,
        entry.client, entry.count,
    )  # fmt: skip


def _insert(rows: int, marker: str) -> str:
    one = f"({', '.join([marker] * len(COLUMNS))})"
    values = ", ".join([one] * rows)
    return f"INSERT INTO traffic_log ({', '.join(COLUMNS)}) VALUES {values}"  # noqa: S608


def _sqlite_at(at: datetime) -> str:
    """What ``UTCDateTime`` binds on SQLite (naive UTC), as the text the driver would store."""
    # Always six fraction digits, as UTCDateTime stores them: without, a row at a whole
    # second would sort before a bound parameter naming that same second.
    if at.tzinfo is UTC:  # drop "+00:00": 1 us instead of 2.5 us via astimezone
        return at.isoformat(" ", "microseconds")[:-6]
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class TrafficRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_many(self, entries: Sequence[TrafficEntry]) -> None:
        self.insert_rows([entry_row(entry) for entry in entries])

    def insert_rows(self, rows: Sequence[Row]) -> None:
        """Multi-row INSERTs of ``CHUNK`` rows on the DBAPI connection: ~2.5 us a row on
        SQLite, against ~3.4 us for ``executemany`` and ~60 us through Core's insert()."""
        if not rows:
            return
        sqlite = self.conn.dialect.name == "sqlite"
        marker = "?" if sqlite else "%s"
        params = _flatten(rows, sqlite)
        width = len(COLUMNS)
        for start in range(0, len(rows), CHUNK):
            count = min(CHUNK, len(rows) - start)
            chunk = params[start * width : (start + count) * width]
            self.conn.exec_driver_sql(_statement(count, marker), tuple(chunk))

    def delete_before(self, at: datetime) -> int:
        """Drop rows older than ``at`` (retention); returns how many went."""
        result = self.conn.execute(delete(traffic_log).where(traffic_log.c.at < at))
        return int(result.rowcount)

    def query(self, server_id: uuid.UUID, where: TrafficFilter) -> list[TrafficEntry]:
        c = traffic_log.c
        query = select(traffic_log).where(c.server_id == server_id)
        if where.method is not None:
            query = query.where(c.method == where.method)
        if where.tool is not None:
            query = query.where(c.tool == where.tool)
        if where.status is not None:
            query = query.where(c.http_status == where.status)
        if where.since is not None:
            query = query.where(c.at >= where.since)
        if where.until is not None:
            query = query.where(c.at < where.until)
        if where.before_id is not None:
            query = query.where(c.id < where.before_id)
        rows = self.conn.execute(query.order_by(c.id.desc()).limit(where.limit))
        return [TrafficEntry(**row._asdict()) for row in rows]


_STATEMENTS: dict[tuple[int, str], str] = {}


def _statement(rows: int, marker: str) -> str:
    sql = _STATEMENTS.get((rows, marker))
    if sql is None:
        sql = _STATEMENTS[(rows, marker)] = _insert(rows, marker)
    return sql


def _flatten(rows: Sequence[Row], sqlite: bool) -> list[Any]:
    """Every row's values in order, as the driver stores them (``UTCDateTime``/``Uuid``)."""
    out: list[Any] = []
    hexes: dict[int, str] = {}  # the few servers of a batch, each converted once (by .int:
    # an int hashes in C, a UUID in Python)
    for row in rows:
        at = row[0]
        if sqlite:
            server = row[1].int
            text = hexes.get(server)
            if text is None:
                text = hexes[server] = f"{server:032x}"
            out += (_sqlite_at(at), text)
        else:
            out.append(at if at.tzinfo is UTC else at.astimezone(UTC))
            out.append(row[1])
        out += row[2:]
    return out
