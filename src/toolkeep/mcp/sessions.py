"""Session ids and the single-process session store."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict

from toolkeep.mcp.ports import RequestContext, Session


def mint_session(
    ctx: RequestContext,
    protocol_version: str,
    client_name: str | None,
    client_version: str | None,
) -> Session:
    """A new session bound to the request's server and key; client-chosen names are capped."""
    return Session(
        id=new_session_id(),
        server_id=ctx.server_id,
        kid=ctx.kid,
        protocol_version=protocol_version,
        client_name=client_name[:100] if client_name else None,
        client_version=client_version[:50] if client_version else None,
    )


def new_session_id() -> str:
    """A random session id: 192 bits, URL-safe base64 (visible ASCII only)."""
    return secrets.token_urlsafe(24)


class MemorySessionStore:
    """Sessions in a dict: for tests and single-process deployments.

    Bounded: beyond ``max_sessions`` the least recently used session is dropped,
    and a session idle longer than ``idle_timeout`` seconds is treated as ended.
    """

    def __init__(self, *, max_sessions: int = 10_000, idle_timeout: float = 24 * 3600.0) -> None:
        self._max = max_sessions
        self._idle = idle_timeout
        self._sessions: OrderedDict[str, tuple[Session, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    async def create(
        self,
        ctx: RequestContext,
        protocol_version: str,
        client_name: str | None,
        client_version: str | None,
    ) -> Session:
        """Mint a session for this server and key."""
        session = mint_session(ctx, protocol_version, client_name, client_version)
        self._sessions[session.id] = (session, time.monotonic())
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)
        return session

    async def get(self, session_id: str) -> Session | None:
        """The live session, or None for unknown, ended or idle-expired ids."""
        entry = self._sessions.get(session_id)
        if entry is None:
            return None
        now = time.monotonic()
        if now - entry[1] > self._idle:
            del self._sessions[session_id]
            return None
        self._sessions[session_id] = (entry[0], now)
        self._sessions.move_to_end(session_id)
        return entry[0]

    async def end(self, session_id: str) -> bool:
        """End a session; False if it was not live."""
        return self._sessions.pop(session_id, None) is not None
