"""MCP sessions in the database, so any replica can serve any request of a session."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, update

from toolkeep.clock import Clock
from toolkeep.mcp.ports import RequestContext, Session
from toolkeep.mcp.sessions import mint_session
from toolkeep.store.database import Database
from toolkeep.store.fastread import FastReader
from toolkeep.store.tables import mcp_sessions

_GET = """
SELECT id, server_id, kid, protocol_version, client_name, client_version
FROM mcp_sessions WHERE id = {p} AND ended_at IS NULL
"""


class DbSessionStore:
    """Implements ``toolkeep.mcp.ports.SessionStore``."""

    def __init__(self, db: Database, reader: FastReader, clock: Clock) -> None:
        self.db = db
        self.reader = reader
        self.clock = clock
        self._get = reader.sql(_GET)

    async def create(
        self,
        ctx: RequestContext,
        protocol_version: str,
        client_name: str | None,
        client_version: str | None,
    ) -> Session:
        session = mint_session(ctx, protocol_version, client_name, client_version)
        with self.db.transaction() as conn:
            conn.execute(
                insert(mcp_sessions).values(
                    id=session.id,
                    server_id=session.server_id,
                    kid=session.kid,
                    protocol_version=protocol_version,
                    client_name=session.client_name,
                    client_version=session.client_version,
                    created_at=self.clock(),
                )
            )
        return session

    async def get(self, session_id: str) -> Session | None:
        if len(session_id) > 64:
            return None
        row = self.reader.fetchone(self._get, (session_id,))
        if row is None:
            return None
        return Session(row[0], self.reader.uuid(row[1]), row[2], row[3], row[4], row[5])

    async def end(self, session_id: str) -> bool:
        with self.db.transaction() as conn:
            result = conn.execute(
                update(mcp_sessions)
                .where(mcp_sessions.c.id == session_id, mcp_sessions.c.ended_at.is_(None))
                .values(ended_at=self.clock())
            )
        return bool(result.rowcount)

    def prune(self, now: datetime, max_age: timedelta) -> int:
        """Delete ended sessions and those created before ``now - max_age``; returns how many
        went. Blocking: the housekeeping task runs it in a worker thread."""
        c = mcp_sessions.c
        with self.db.transaction() as conn:
            result = conn.execute(
                delete(mcp_sessions).where(
                    or_(c.ended_at.is_not(None), c.created_at < now - max_age)
                )
            )
        return int(result.rowcount)
