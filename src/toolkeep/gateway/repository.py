"""Hot-path SQL for the gateway, run through ``FastReader`` (one indexed read per request)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from toolkeep.keys.repository import KeyCredentials
from toolkeep.servers.models import SecurityMode
from toolkeep.store.fastread import FastReader
from toolkeep.tools.models import Parameter, Tool

_SERVER_AND_KEY = """
SELECT s.id, s.name, s.security_mode, s.unlisted_secret, s.tools_version,
       k.server_id, k.digest, k.pepper_version, k.revoked_at, k.revoke_reason, k.expires_at,
       k.last_used_at
FROM servers s LEFT OUTER JOIN api_keys k ON k.kid = {p}
WHERE s.subdomain = {p}
"""

_TOOLS = """
SELECT s.tools_version, t.id, t.name, t.description, t.parameters, t.code, t.created_at,
       t.updated_at
FROM servers s LEFT OUTER JOIN tools t ON t.server_id = s.id
WHERE s.id = {p}
"""


@dataclass(frozen=True, slots=True)
class HostedServer:
    id: uuid.UUID
    name: str
    subdomain: str
    security_mode: SecurityMode
    unlisted_secret: bytes | None
    tools_version: int


@dataclass(frozen=True, slots=True)
class KeyState:
    credentials: KeyCredentials
    last_used_at: datetime | None


_SECRETS = "SELECT name, sealed_value FROM secrets WHERE server_id = {p}"


class GatewayRepository:
    def __init__(self, reader: FastReader) -> None:
        self.reader = reader
        self._server_and_key = reader.sql(_SERVER_AND_KEY)
        self._tools = reader.sql(_TOOLS)
        self._secrets = reader.sql(_SECRETS)

    def server_and_key(
        self, subdomain: str, kid: str | None
    ) -> tuple[HostedServer | None, KeyState | None]:
        row = self.reader.fetchone(self._server_and_key, (kid or "", subdomain))
        if row is None:
            return None, None
        r = self.reader
        server = HostedServer(
            r.uuid(row[0]),
            row[1],
            subdomain,
            SecurityMode(row[2]),
            bytes(row[3]) if row[3] is not None else None,
            int(row[4]),
        )
        if row[6] is None:
            return server, None
        creds = KeyCredentials(
            server_id=r.uuid(row[5]),
            digest=bytes(row[6]),
            pepper_version=int(row[7]),
            revoked_at=r.datetime(row[8]),
            revoke_reason=row[9],
            expires_at=r.datetime(row[10]),
        )
        return server, KeyState(creds, r.datetime(row[11]))

    def sealed_secrets(self, server_id: uuid.UUID) -> list[tuple[str, bytes]]:
        """(name, sealed value) of every secret of the server; opened only by the caller."""
        rows = self.reader.fetchall(self._secrets, (self.reader.uuid_param(server_id),))
        return [(row[0], bytes(row[1])) for row in rows]

    def tools(self, server_id: uuid.UUID) -> tuple[int, list[Tool]]:
        """The server's ``tools_version`` and every tool, read in one consistent statement."""
        r = self.reader
        rows = r.fetchall(self._tools, (r.uuid_param(server_id),))
        version = int(rows[0][0]) if rows else -1
        return version, [
            Tool(
                id=r.uuid(row[1]),
                server_id=server_id,
                name=row[2],
                description=row[3],
                parameters=tuple(Parameter.from_json(p) for p in _json(row[4])),
                code=row[5],
                created_at=_required(r.datetime(row[6])),
                updated_at=_required(r.datetime(row[7])),
            )
            for row in rows
            if row[1] is not None
        ]


def _json(value: Any) -> list[dict[str, Any]]:
    parsed = json.loads(value) if isinstance(value, str | bytes) else value
    assert isinstance(parsed, list)
    return parsed


def _required(value: datetime | None) -> datetime:
    assert value is not None
    return value
