"""Run tools on worker threads of this process: for tests and development.

Limits hold (fresh context per call, memory, stack, time), but a crash in the engine takes
the whole server down and every tenant's ``env`` passes through this process: production
uses the process pool, which implements the same ``ToolRunner`` interface.
"""

from __future__ import annotations

import anyio
import anyio.to_thread

from toolkeep.sandbox.engine import execute
from toolkeep.sandbox.runner import ToolInvocation, ToolRunResult


class RunnerClosed(RuntimeError):
    """``run`` was called after ``aclose``."""


class ThreadedQuickJsRunner:
    def __init__(self, max_workers: int = 2) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._limiter = anyio.CapacityLimiter(max_workers)
        self._closed = False

    async def run(self, invocation: ToolInvocation) -> ToolRunResult:
        """Queue for a worker, then run. A cancelled caller still waits for its call to end,
        which the engine's time limit bounds: a thread cannot be killed."""
        if self._closed:
            raise RunnerClosed("The tool runner is closed.")
        return await anyio.to_thread.run_sync(execute, invocation, limiter=self._limiter)

    async def aclose(self) -> None:
        self._closed = True
