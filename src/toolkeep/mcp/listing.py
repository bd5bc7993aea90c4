"""Tool listings that promise not to change, so ``tools/list`` pages of them render once.

A ``ToolSource`` whose tools are versioned (the gateway's cache, by ``tools_version``)
returns the same ``ToolListing`` while nothing changed and a new one after any change.
The engine keeps each rendered ``tools/list`` result on the listing it was rendered from,
keyed by everything else the bytes depend on (cursor, era, server name and version), and
splices only the JSON-RPC id in per request. A plain sequence is rendered every time.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Final, overload

import orjson

from toolkeep.mcp.ports import ToolDescriptor

MAX_PAGES: Final = 32  # distinct renderings kept per listing (cursors are client input)


class ToolListing(Sequence[ToolDescriptor]):
    """An immutable sequence of tool descriptors that carries its rendered pages."""

    __slots__ = ("_pages", "_tools")

    def __init__(self, tools: Iterable[ToolDescriptor]) -> None:
        self._tools = tuple(tools)
        self._pages: dict[Hashable, orjson.Fragment] = {}

    def __len__(self) -> int:
        return len(self._tools)

    def __iter__(self) -> Iterator[ToolDescriptor]:
        return iter(self._tools)

    @overload
    def __getitem__(self, index: int) -> ToolDescriptor: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ToolDescriptor]: ...

    def __getitem__(self, index: int | slice) -> ToolDescriptor | Sequence[ToolDescriptor]:
        return self._tools[index]

    def rendered(self, key: Hashable) -> orjson.Fragment | None:
        """The page rendered earlier under ``key``, if any."""
        return self._pages.get(key)

    def keep(self, key: Hashable, rendered: bytes) -> orjson.Fragment:
        """Remember ``rendered`` under ``key`` (up to ``MAX_PAGES`` keys); return it."""
        page = orjson.Fragment(rendered)
        if len(self._pages) < MAX_PAGES:
            self._pages[key] = page
        return page
