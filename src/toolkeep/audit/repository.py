"""Audit rows are only ever inserted and read."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from sqlalchemy import Connection, insert, select

from toolkeep.audit.models import AuditEvent
from toolkeep.store.tables import audit_events


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, event: AuditEvent) -> None:
        values = asdict(event)
        values.pop("id")
        self.conn.execute(insert(audit_events).values(**values))

    def list_for_server(
        self, server_id: uuid.UUID, *, limit: int = 100, before_id: int | None = None
    ) -> list[AuditEvent]:
        query = select(audit_events).where(audit_events.c.server_id == server_id)
        if before_id is not None:
            query = query.where(audit_events.c.id < before_id)
        rows = self.conn.execute(query.order_by(audit_events.c.id.desc()).limit(limit))
        return [AuditEvent(**row._asdict()) for row in rows]
