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
        self._waiters: deque[asyncio.Future[T]] = deque()

    def __len__(self) -> int:
        return len(self._idle)

    def put(self, item: T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        self._idle.append(item)

    async def get(self) -> T:
        if self._idle:
            return self._idle.popleft()
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.put(waiter.result())
            else:
                waiter.cancel()
            raise

    def drain(self) -> list[T]:
        items = list(self._idle)
        self._idle.clear()
        return items


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
