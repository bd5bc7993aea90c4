"""The queue of idle workers, and the results the parent gives when it had to step in."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Final, Generic, TypeVar

from toolkeep.sandbox.runner import ToolInvocation, ToolRunResult

T = TypeVar("T")
CRASHED: Final = "The tool crashed the sandbox"
SHUT_DOWN: Final = "The sandbox shut down while the tool was running"


class IdleQueue(Generic[T]):
    """FIFO hand-off of idle workers to waiting calls (asyncio only).

    Unlike a memory channel, a worker handed to a call that is cancelled at that very moment
    is not lost: it passes on to the next waiter, or back to the queue.
    """

    def __init__(self) -> None:
        self._idle: deque[T] = deque()
        self._waiters: deque[asyncio.Future[T | None]] = deque()

    def __len__(self) -> int:
        return len(self._idle)

    def put(self, item: T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        self._idle.append(item)

    async def get(self, timeout_s: float) -> T | None:
        """The next idle item, waiting at most ``timeout_s``; None when none came in time."""
        if self._idle:
            return self._idle.popleft()
        if timeout_s <= 0:
            return None
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T | None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(timeout_s, _expire, waiter)
        try:
            return await waiter
        except BaseException:
            handed = waiter.result() if waiter.done() and not waiter.cancelled() else None
            if handed is not None:
                self.put(handed)  # handed over just as the caller was cancelled
            else:
                waiter.cancel()
            raise
        finally:
            timer.cancel()

    def drain(self) -> list[T]:
        items = list(self._idle)
        self._idle.clear()
        return items


def _expire(waiter: asyncio.Future[T | None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def timed_out(invocation: ToolInvocation, *, queued: int | None = None) -> ToolRunResult:
    message = f"Tool timed out after {invocation.timeout_s:g} s"
    if queued is not None:
        message += f" waiting for a free sandbox worker (all {queued} were busy)"
    return ToolRunResult(None, error=message, error_kind="timeout")


def out_of_memory(invocation: ToolInvocation) -> ToolRunResult:
    mb = invocation.memory_limit_bytes / (1024 * 1024)
    return ToolRunResult(None, error=f"Tool exceeded {mb:g} MB of memory", error_kind="memory")


def verdict(kill_reason: str | None, invocation: ToolInvocation) -> ToolRunResult:
    """The result of a call whose worker the parent killed (or lost)."""
    if kill_reason == "timeout":
        return timed_out(invocation)
    if kill_reason == "memory":
        return out_of_memory(invocation)
    message = SHUT_DOWN if kill_reason == "closed" else CRASHED
    return ToolRunResult(None, error=message, error_kind="crash")
