"""SQL for the ``secrets`` table. Sealed values leave it only through ``sealed_for_server``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from toolkeep.store.tables import secrets
from toolkeep.vault.models import SecretInfo

_INFO_COLUMNS = [secrets.c.name, secrets.c.created_at, secrets.c.updated_at]


def _to_info(row: Row[Any]) -> SecretInfo:
    return SecretInfo(**row._asdict())


class SecretRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, server_id: uuid.UUID, name: str) -> SecretInfo | None:
        row = self.conn.execute(
            select(*_INFO_COLUMNS).where(secrets.c.server_id == server_id, secrets.c.name == name)
        ).first()
        return _to_info(row) if row else None

    def upsert(
        self, server_id: uuid.UUID, name: str, sealed: bytes, now: datetime
    ) -> tuple[SecretInfo, bool]:
        """Insert the row, or replace its value (``created_at`` kept); True when inserted.

        The caller holds the server row's lock, so no other writer races this check.
        """
        existing = self.get(server_id, name)
        if existing is None:
            self.conn.execute(
                insert(secrets).values(
                    server_id=server_id,
                    name=name,
                    sealed_value=sealed,
                    created_at=now,
                    updated_at=now,
                )
            )
            return SecretInfo(name=name, created_at=now, updated_at=now), True
        self.conn.execute(
            update(secrets)
            .where(secrets.c.server_id == server_id, secrets.c.name == name)
            .values(sealed_value=sealed, updated_at=now)
        )
        return SecretInfo(name=name, created_at=existing.created_at, updated_at=now), False

    def delete(self, server_id: uuid.UUID, name: str) -> bool:
        result = self.conn.execute(
            delete(secrets).where(secrets.c.server_id == server_id, secrets.c.name == name)
        )
        return result.rowcount > 0

    def list_for_server(self, server_id: uuid.UUID) -> list[SecretInfo]:
        """In name order, by code point: the same on every backend, whatever its collation."""
        rows = self.conn.execute(select(*_INFO_COLUMNS).where(secrets.c.server_id == server_id))
        return sorted((_to_info(row) for row in rows), key=lambda info: info.name)

    def count_for_server(self, server_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(secrets).where(secrets.c.server_id == server_id)
        return int(self.conn.execute(query).scalar_one())

    def sealed_for_server(self, server_id: uuid.UUID) -> list[tuple[str, bytes]]:
        """Every (name, sealed value) of one server, for decryption just before code runs."""
        rows = self.conn.execute(
            select(secrets.c.name, secrets.c.sealed_value).where(secrets.c.server_id == server_id)
        )
        return sorted((str(name), bytes(sealed)) for name, sealed in rows)
