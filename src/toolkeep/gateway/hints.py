"""Which servers were recently seen in API Key mode, to refuse keyless requests early.

This remembers only "locked" and only for a moment, so it can never let a request in:
at worst, for ``ttl`` seconds after an owner unlocks a server, a keyless request to it is
still refused. Key state itself is never cached.
"""

from __future__ import annotations

import time
import uuid


class LockedServers:
    def __init__(self, ttl: float = 2.0, max_entries: int = 100_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._seen: dict[str, tuple[float, uuid.UUID]] = {}

    def locked_id(self, subdomain: str) -> uuid.UUID | None:
        """The server's id if it was seen locked within ``ttl`` seconds."""
        seen = self._seen.get(subdomain)
        if seen is None or seen[0] <= time.monotonic():
            return None
        return seen[1]

    def saw(self, subdomain: str, server_id: uuid.UUID, locked: bool) -> None:
        if not locked:
            self._seen.pop(subdomain, None)
            return
        if len(self._seen) >= self.max_entries:
            self._seen.clear()
        self._seen[subdomain] = (time.monotonic() + self.ttl, server_id)
