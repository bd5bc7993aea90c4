"""PerLoop: one object per event loop, released with its loop."""

from __future__ import annotations

import asyncio
import gc
import weakref

from toolkeep.serving.batching import batcher_for
from toolkeep.serving.keepalive import idle_connections
from toolkeep.serving.loops import PerLoop


def test_each_loop_gets_its_own_object_made_once() -> None:
    made: list[asyncio.AbstractEventLoop] = []

    def factory(loop: asyncio.AbstractEventLoop) -> int:
        made.append(loop)
        return len(made)

    per_loop = PerLoop(factory)
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        assert per_loop(first) == 1
        assert per_loop(second) == 2
        assert per_loop(first) == 1
    finally:
        first.close()
        second.close()


def test_the_batcher_and_the_idle_registry_do_not_keep_their_loop_alive() -> None:
    loop = asyncio.new_event_loop()
    batcher_for(loop)
    idle_connections(loop)
    gone = weakref.ref(loop)

    loop.close()
    del loop
    gc.collect()

    assert gone() is None
