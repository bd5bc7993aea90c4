"""Tools per server, cached by ``servers.tools_version``.

Every request reads the server's current ``tools_version`` with its key check (the same
single query), and notes it here first. An entry older than the noted version is dropped
and re-read, so a saved tool is live on the next request on every replica; the cache only
saves re-reading and re-parsing tools that did not change.
"""

from __future__ import annotations

import uuid

from toolkeep.gateway.repository import GatewayRepository
from toolkeep.tools.models import Tool


class ToolCache:
    def __init__(self, repo: GatewayRepository, max_servers: int = 10_000) -> None:
        self.repo = repo
        self.max_servers = max_servers
        self._entries: dict[uuid.UUID, tuple[int, list[Tool]]] = {}

    def note(self, server_id: uuid.UUID, version: int) -> None:
        """A request saw ``version``: forget anything older."""
        entry = self._entries.get(server_id)
        if entry is not None and entry[0] < version:
            del self._entries[server_id]

    def load(self, server_id: uuid.UUID) -> list[Tool]:
        entry = self._entries.get(server_id)
        if entry is not None:
            return entry[1]
        version, tools = self.repo.tools(server_id)
        if len(self._entries) >= self.max_servers:
            self._entries.clear()
        self._entries[server_id] = (version, tools)
        return tools
