"""``PerLoop``: one object per event loop, made on first use, gone with its loop."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    """``per_loop(loop)`` is the one ``factory(loop)`` of that loop. The object must hold its
    loop weakly, or the loop (the weak key) would never be released."""

    def __init__(self, factory: Callable[[asyncio.AbstractEventLoop], T]) -> None:
        self._factory = factory
        self._made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self, loop: asyncio.AbstractEventLoop) -> T:
        made = self._made.get(loop)
        if made is None:
            made = self._made[loop] = self._factory(loop)
        return made
