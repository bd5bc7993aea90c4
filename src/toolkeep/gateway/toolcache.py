"""Tools per server, cached by ``servers.tools_version``.

Every request reads the server's current ``tools_version`` with its key check (the same
single query), and notes it here first. An entry older than the noted version is dropped
and re-read, so a saved tool is live on the next request on every replica; the cache only
saves re-reading and re-parsing tools that did not change.
"""

from __future__ import annotations

import uuid

from toolkeep.gateway.repository import GatewayRepository
from toolkeep.mcp import ToolDescriptor, ToolListing
from toolkeep.tools.models import Tool


class _Entry:
    __slots__ = ("descriptors", "tools", "version")

    def __init__(self, version: int, tools: list[Tool]) -> None:
        self.version = version
        self.tools = tools
        self.descriptors = ToolListing(
            ToolDescriptor(name=t.name, description=t.description, input_schema=t.input_schema())
            for t in tools
        )


class ToolCache:
    def __init__(self, repo: GatewayRepository, max_servers: int = 10_000) -> None:
        self.repo = repo
        self.max_servers = max_servers
        self._entries: dict[int, _Entry] = {}  # by UUID.int (a UUID hashes in Python)

    def note(self, server_id: uuid.UUID, version: int) -> None:
        """A request saw ``version``: forget anything older."""
        entry = self._entries.get(server_id.int)
        if entry is not None and entry.version < version:
            del self._entries[server_id.int]

    def load(self, server_id: uuid.UUID) -> list[Tool]:
        return self._entry(server_id).tools

    def descriptors(self, server_id: uuid.UUID) -> ToolListing:
        """What ``tools/list`` serves, built once per tools version (and its pages rendered
        once: a new version is a new listing)."""
        entry = self._entries.get(server_id.int)
        return (entry or self._entry(server_id)).descriptors

    def _entry(self, server_id: uuid.UUID) -> _Entry:
        entry = self._entries.get(server_id.int)
        if entry is None:
            if len(self._entries) >= self.max_servers:
                self._entries.clear()
            entry = self._entries[server_id.int] = _Entry(*self.repo.tools(server_id))
        return entry
