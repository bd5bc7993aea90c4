"""Hot-path SQL for the gateway, run through ``FastReader`` (one indexed read per request).

The read of a request fetches the server, the presented key's row and, for a legacy request,
the session named by ``Mcp-Session-Id``, all in one statement. Every request reads them
afresh; only the Python objects built from the values are reused while the values are
unchanged (so a revocation, a mode switch or an ended session shows on the next request).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from toolkeep.keys.repository import KeyCredentials
from toolkeep.mcp.ports import Session
from toolkeep.servers.models import SecurityMode
from toolkeep.store.fastread import FastReader, Row
from toolkeep.tools.models import Parameter, Tool

_SERVER_AND_KEY = """
SELECT s.id, s.name, s.security_mode, s.unlisted_secret, s.tools_version,
       k.server_id, k.digest, k.pepper_version, k.revoked_at, k.revoke_reason, k.expires_at,
       k.last_used_at
FROM servers s LEFT OUTER JOIN api_keys k ON k.kid = {p}
WHERE s.subdomain = {p}
"""

# The same, plus the live session of this server named by the request (legacy era).
_SERVER_KEY_AND_SESSION = """
SELECT s.id, s.name, s.security_mode, s.unlisted_secret, s.tools_version,
       k.server_id, k.digest, k.pepper_version, k.revoked_at, k.revoke_reason, k.expires_at,
       k.last_used_at,
       m.kid, m.protocol_version, m.client_name, m.client_version
FROM servers s LEFT OUTER JOIN api_keys k ON k.kid = {p}
LEFT OUTER JOIN mcp_sessions m ON m.id = {p} AND m.server_id = s.id AND m.ended_at IS NULL
WHERE s.subdomain = {p}
"""
MAX_SESSION_ID = 64  # mcp_sessions.id; a longer id names no session

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
    def __init__(self, reader: FastReader, max_memo: int = 10_000) -> None:
        self.reader = reader
        self.max_memo = max_memo
        self._server_and_key = reader.sql(_SERVER_AND_KEY)
        self._with_session = reader.sql(_SERVER_KEY_AND_SESSION)
        self._tools = reader.sql(_TOOLS)
        self._secrets = reader.sql(_SECRETS)
        self._servers: dict[str, tuple[Row, HostedServer]] = {}
        self._keys: dict[str, tuple[Row, KeyState]] = {}
        self._sessions: dict[str, tuple[Row, Session]] = {}

    def server_and_key(
        self, subdomain: str, kid: str | None, session_id: str | None = None
    ) -> tuple[HostedServer | None, KeyState | None, Session | None]:
        """One indexed read: the server, the key row by ``kid`` (any server's: the caller
        judges it) and the live session ``session_id`` of this server, if any."""
        if session_id is None or len(session_id) > MAX_SESSION_ID:
            row = self.reader.fetchone(self._server_and_key, (kid or "", subdomain))
            session_id = None
        else:
            row = self.reader.fetchone(self._with_session, (kid or "", session_id, subdomain))
        if row is None:
            return None, None, None
        server = self._server(subdomain, row[:5])
        key = None if row[6] is None else self._key(kid or "", row[5:12])
        if session_id is None or row[13] is None:
            return server, key, None
        return server, key, self._session(session_id, server.id, row[12:16])

    def _server(self, subdomain: str, values: Row) -> HostedServer:
        memo = self._servers.get(subdomain)
        if memo is not None and memo[0] == values:
            return memo[1]
        server = HostedServer(
            self.reader.uuid(values[0]),
            values[1],
            subdomain,
            SecurityMode(values[2]),
            bytes(values[3]) if values[3] is not None else None,
            int(values[4]),
        )
        self._remember(self._servers, subdomain, values, server)
        return server

    def _key(self, kid: str, values: Row) -> KeyState:
        memo = self._keys.get(kid)
        if memo is not None and memo[0] == values:
            return memo[1]
        r = self.reader
        creds = KeyCredentials(
            server_id=r.uuid(values[0]),
            digest=bytes(values[1]),
            pepper_version=int(values[2]),
            revoked_at=r.datetime(values[3]),
            revoke_reason=values[4],
            expires_at=r.datetime(values[5]),
        )
        state = KeyState(creds, r.datetime(values[6]))
        self._remember(self._keys, kid, values, state)
        return state

    def _session(self, session_id: str, server_id: uuid.UUID, values: Row) -> Session:
        memo = self._sessions.get(session_id)
        if memo is not None and memo[0] == values and memo[1].server_id.int == server_id.int:
            return memo[1]
        session = Session(session_id, server_id, values[0], values[1], values[2], values[3])
        self._remember(self._sessions, session_id, values, session)
        return session

    def _remember(self, memo: dict[str, tuple[Row, Any]], name: str, values: Row, obj: Any) -> None:
        if len(memo) >= self.max_memo:
            memo.clear()
        memo[name] = (values, obj)

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
