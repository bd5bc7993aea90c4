"""SQL for ``traffic_log``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from toolkeep.store.tables import traffic_log
from toolkeep.traffic.models import TrafficEntry, TrafficFilter

_COLUMNS = (
    "at", "server_id", "method", "tool", "http_status", "rpc_error", "error_code",
    "duration_ms", "client_ip", "session_id", "kid", "client", "count",
)  # fmt: skip
_INSERT = (
    f"INSERT INTO traffic_log ({', '.join(_COLUMNS)}) "  # noqa: S608 - constant column names
    f"VALUES ({', '.join(['{p}'] * len(_COLUMNS))})"
)


def _row(entry: TrafficEntry, sqlite: bool) -> tuple[Any, ...]:
    """Column values as the driver stores them (what ``UTCDateTime``/``Uuid`` would bind)."""
    at: Any = entry.at.astimezone(UTC)
    server_id: Any = entry.server_id
    if sqlite:
        at, server_id = at.replace(tzinfo=None).isoformat(" "), server_id.hex
    return (
        at, server_id, entry.method, entry.tool, entry.http_status, entry.rpc_error,
        entry.error_code, entry.duration_ms, entry.client_ip, entry.session_id, entry.kid,
        entry.client, entry.count,
    )  # fmt: skip


class TrafficRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_many(self, entries: Sequence[TrafficEntry]) -> None:
        """One DBAPI executemany: ~2 µs a row instead of ~60 µs through Core's insert()."""
        if not entries:
            return
        sqlite = self.conn.dialect.name == "sqlite"
        rows = [_row(entry, sqlite) for entry in entries]
        self.conn.exec_driver_sql(_INSERT.replace("{p}", "?" if sqlite else "%s"), rows)

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
