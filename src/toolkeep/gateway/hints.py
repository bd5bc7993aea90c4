"""Which servers were recently seen in API Key mode, to refuse keyless requests early.

This remembers only "locked" and only for a moment, so it can never let a request in:
at worst, for ``ttl`` seconds after an owner unlocks a server, a keyless request to it is
still refused. Key state itself is never cached.
"""

from __future__ import annotations

import time
import uuid
from typing import Final

from toolkeep.gateway import responses
from toolkeep.gateway.credentials import Problem


class LockedHint:
    """One server seen locked: until when, and its keyless refusal rendered once."""

    __slots__ = ("expires", "refusal", "server_id", "subdomain")

    def __init__(self, subdomain: str, server_id: uuid.UUID, expires: float) -> None:
        self.subdomain = subdomain
        self.server_id = server_id
        self.expires = expires
        self.refusal = responses.prepared_problem(subdomain, Problem.MISSING)


def mcp_path(subdomain: str) -> str:
    """The path-routed endpoint of a server (the one the keyless fast path recognises)."""
    return f"/s/{subdomain}/mcp"


class LockedServers:
    def __init__(self, ttl: float = 2.0, max_entries: int = 100_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._seen: dict[str, LockedHint] = {}
        self.by_path: Final[dict[str, LockedHint]] = {}  # mcp_path(subdomain) -> same hint

    def locked_id(self, subdomain: str) -> uuid.UUID | None:
        """The server's id if it was seen locked within ``ttl`` seconds."""
        seen = self._seen.get(subdomain)
        if seen is None or seen.expires <= time.monotonic():
            return None
        return seen.server_id

    def saw(self, subdomain: str, server_id: uuid.UUID, locked: bool) -> None:
        if not locked:
            if self._seen.pop(subdomain, None) is not None:
                del self.by_path[mcp_path(subdomain)]
            return
        expires = time.monotonic() + self.ttl
        seen = self._seen.get(subdomain)
        if seen is not None and seen.server_id.int == server_id.int:
            seen.expires = expires  # the common case: one attribute write per request
            return
        if len(self._seen) >= self.max_entries:
            self._seen.clear()
            self.by_path.clear()
        hint = self._seen[subdomain] = LockedHint(subdomain, server_id, expires)
        self.by_path[mcp_path(subdomain)] = hint
