"""SQL for ``traffic_log``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import Connection, insert, select

from toolkeep.store.tables import traffic_log
from toolkeep.traffic.models import TrafficEntry, TrafficFilter


class TrafficRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_many(self, entries: Sequence[TrafficEntry]) -> None:
        if not entries:
            return
        rows = []
        for entry in entries:
            row = asdict(entry)
            row.pop("id")
            rows.append(row)
        self.conn.execute(insert(traffic_log), rows)

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
