"""SQL for the ``servers`` table."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from toolkeep.servers.errors import SubdomainTaken
from toolkeep.servers.models import SecurityMode, Server
from toolkeep.store.tables import servers


def _to_server(row: Row[Any]) -> Server:
    values = row._asdict()
    values["security_mode"] = SecurityMode(values["security_mode"])
    return Server(**values)


class ServerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert(self, server: Server) -> None:
        values = {col.name: getattr(server, col.name) for col in servers.columns}
        values["security_mode"] = server.security_mode.value
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(servers).values(**values))
        except IntegrityError:
            raise SubdomainTaken(server.subdomain) from None

    def get_by_subdomain(self, subdomain: str, *, for_update: bool = False) -> Server | None:
        query = select(servers).where(servers.c.subdomain == subdomain)
        if for_update:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _to_server(row) if row else None

    def list_all(self, owner_id: uuid.UUID | None) -> list[Server]:
        query = select(servers).order_by(servers.c.subdomain)
        if owner_id is not None:
            query = query.where(servers.c.owner_id == owner_id)
        return [_to_server(row) for row in self.conn.execute(query)]

    def update(self, server_id: uuid.UUID, **values: Any) -> None:
        if isinstance(values.get("security_mode"), SecurityMode):
            values["security_mode"] = values["security_mode"].value
        self.conn.execute(update(servers).where(servers.c.id == server_id).values(**values))

    def delete(self, server_id: uuid.UUID) -> None:
        self.conn.execute(delete(servers).where(servers.c.id == server_id))
