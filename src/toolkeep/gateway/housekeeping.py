"""Housekeeping off the request path: legacy MCP sessions are pruned about once an hour.

Sessions of the legacy protocol era are rows (``mcp_sessions``) that nothing else removes:
an ended session (HTTP DELETE) and one older than ``session_max_age_hours`` go at the next
prune. A client whose session went gets 404 and, as the MCP spec asks, initializes anew.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Protocol

import anyio.to_thread

from toolkeep.clock import Clock

log = logging.getLogger("toolkeep.housekeeping")
PRUNE_EVERY_S = 3600.0
FIRST_PRUNE_AFTER_S = 60.0  # out of the way of startup (migrations, warm-up, first requests)


class PrunableSessions(Protocol):
    """What the pruner needs of the session store (``gateway.sessions.DbSessionStore``)."""

    def prune(self, now: datetime, max_age: timedelta) -> int: ...


class SessionPruner:
    def __init__(self, sessions: PrunableSessions, clock: Clock, max_age: timedelta) -> None:
        self.sessions = sessions
        self.clock = clock
        self.max_age = max_age

    async def prune(self) -> int:
        """Delete ended and too old sessions now (in a worker thread); returns how many."""
        return await anyio.to_thread.run_sync(self.sessions.prune, self.clock(), self.max_age)

    async def run(
        self, every: float = PRUNE_EVERY_S, first_after: float = FIRST_PRUNE_AFTER_S
    ) -> None:
        """Prune ``first_after`` seconds from now, then every ``every`` seconds, until
        cancelled. A failed prune is logged and the next one retries."""
        await asyncio.sleep(first_after)
        while True:
            try:
                removed = await self.prune()
            except Exception:  # the database may be away for a while; try again next time
                log.exception("pruning MCP sessions failed")
            else:
                log.debug("pruned %d MCP sessions", removed)
            await asyncio.sleep(every)
