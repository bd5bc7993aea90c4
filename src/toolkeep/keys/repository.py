"""SQL for the ``api_keys`` table."""

from __future__ import annotations

import uuid
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from toolkeep.keys.models import ApiKey
from toolkeep.store.tables import api_keys

_MODEL_COLUMNS = [api_keys.c[f.name] for f in fields(ApiKey)]


def _to_key(row: Row[Any]) -> ApiKey:
    return ApiKey(**row._asdict())


class ApiKeyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert(self, key: ApiKey, *, digest: bytes, pepper_version: int) -> None:
        values = {f.name: getattr(key, f.name) for f in fields(ApiKey)}
        self.conn.execute(
            insert(api_keys).values(**values, digest=digest, pepper_version=pepper_version)
        )

    def get(self, server_id: uuid.UUID, kid: str) -> ApiKey | None:
        row = self.conn.execute(
            select(*_MODEL_COLUMNS).where(api_keys.c.kid == kid, api_keys.c.server_id == server_id)
        ).first()
        return _to_key(row) if row else None

    def list_for_server(self, server_id: uuid.UUID) -> list[ApiKey]:
        rows = self.conn.execute(
            select(*_MODEL_COLUMNS)
            .where(api_keys.c.server_id == server_id)
            .order_by(api_keys.c.created_at, api_keys.c.kid)
        )
        return [_to_key(row) for row in rows]

    def unrevoked_for_server(self, server_id: uuid.UUID) -> list[ApiKey]:
        rows = self.conn.execute(
            select(*_MODEL_COLUMNS).where(
                api_keys.c.server_id == server_id, api_keys.c.revoked_at.is_(None)
            )
        )
        return [_to_key(row) for row in rows]

    def update(self, kid: str, **values: Any) -> None:
        self.conn.execute(update(api_keys).where(api_keys.c.kid == kid).values(**values))
