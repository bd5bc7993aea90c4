"""Count tool executions per server: operational metrics, and the evidence that a refused
request never reached tool code."""

from __future__ import annotations

import uuid
from collections import Counter

from toolkeep.sandbox.runner import ToolInvocation, ToolRunner, ToolRunResult


class MeteredRunner:
    """A ``ToolRunner`` that counts the invocations it passes on."""

    def __init__(self, inner: ToolRunner) -> None:
        self.inner = inner
        self.calls: Counter[uuid.UUID] = Counter()

    async def run(self, invocation: ToolInvocation) -> ToolRunResult:
        self.calls[invocation.server_id] += 1
        return await self.inner.run(invocation)

    async def aclose(self) -> None:
        await self.inner.aclose()
