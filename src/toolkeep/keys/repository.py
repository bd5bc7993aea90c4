"""SQL for the ``api_keys`` table."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from toolkeep.keys.models import ApiKey
from toolkeep.servers.models import SecurityMode, Server
from toolkeep.store.tables import api_keys, servers

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


@dataclass(frozen=True, slots=True)
class KeyCredentials:
    """What verification needs from a key row (never leaves the verifier)."""

    server_id: uuid.UUID
    digest: bytes
    pepper_version: int
    revoked_at: datetime | None
    revoke_reason: str | None
    expires_at: datetime | None


_SERVER_COLUMNS = [servers.c[f.name] for f in fields(Server)]
_CRED_COLUMNS = [
    api_keys.c.server_id.label("k_server_id"),
    api_keys.c.digest.label("k_digest"),
    api_keys.c.pepper_version.label("k_pepper_version"),
    api_keys.c.revoked_at.label("k_revoked_at"),
    api_keys.c.revoke_reason.label("k_revoke_reason"),
    api_keys.c.expires_at.label("k_expires_at"),
]


def lookup_server_and_key(
    conn: Connection, subdomain: str, kid: str | None
) -> tuple[Server | None, KeyCredentials | None]:
    """One indexed read: the server by subdomain and, if ``kid`` is given, that key row."""
    query = select(*_SERVER_COLUMNS, *_CRED_COLUMNS).select_from(
        servers.outerjoin(api_keys, api_keys.c.kid == (kid or ""))
    )
    row = conn.execute(query.where(servers.c.subdomain == subdomain)).first()
    if row is None:
        return None, None
    values = row._asdict()
    server = Server(**{f.name: values[f.name] for f in fields(Server)})
    server = replace(server, security_mode=SecurityMode(server.security_mode))
    if values["k_digest"] is None:
        return server, None
    creds = KeyCredentials(**{name[2:]: values[name] for name in values if name.startswith("k_")})
    return server, creds
