"""Build and tear down the MCP edge of a process (called from the app's lifespan)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from toolkeep import __version__
from toolkeep.context import AppContext
from toolkeep.gateway.hosts import HostPolicy
from toolkeep.gateway.housekeeping import SessionPruner
from toolkeep.gateway.metering import MeteredRunner
from toolkeep.gateway.repository import GatewayRepository
from toolkeep.gateway.runtime import McpRuntime
from toolkeep.gateway.sessions import DbSessionStore
from toolkeep.gateway.toolcache import ToolCache
from toolkeep.gateway.usage import UsageRecorder
from toolkeep.mcp import McpEndpoint
from toolkeep.sandbox.catalog import StoreToolSource
from toolkeep.sandbox.execution import ToolExecutor
from toolkeep.sandbox.http import HttpPolicy, parse_networks
from toolkeep.sandbox.pool import ProcessPoolRunner
from toolkeep.store.fastread import FastReader
from toolkeep.vault.service import open_env


@contextlib.asynccontextmanager
async def open_runtime(ctx: AppContext) -> AsyncIterator[McpRuntime]:
    policy = HttpPolicy(allow_networks=parse_networks(ctx.settings.http_allow_networks))
    pool = ProcessPoolRunner(ctx.settings.tool_workers, http_policy=policy)
    await pool.start()  # first: a pool that cannot start (no lodash) leaks nothing
    runner = MeteredRunner(pool)
    reader = FastReader(ctx.db.url)
    repo = GatewayRepository(reader)
    cache = ToolCache(repo)

    def load_env(server_id: uuid.UUID) -> dict[str, str]:
        """The server's secrets, read on the fast path and opened just before code runs."""
        return open_env(ctx.material.sealer, server_id, repo.sealed_secrets(server_id))

    executor = ToolExecutor(runner, load_env)
    tools = StoreToolSource(cache.load, executor, cache.descriptors)
    sessions = DbSessionStore(ctx.db, reader, ctx.clock)
    hosts = HostPolicy(ctx.settings)
    engine = McpEndpoint(
        tools, sessions, server_version=__version__, allowed_origins=hosts.allows_origin
    )
    usage = UsageRecorder(ctx.db, ctx.clock)
    retention = timedelta(days=ctx.settings.traffic_retention_days)
    flusher = asyncio.create_task(usage.run(ctx.settings.usage_flush_interval, retention))
    max_age = timedelta(hours=ctx.settings.session_max_age_hours)
    pruner = SessionPruner(sessions, ctx.clock, max_age)
    housekeeping = asyncio.create_task(pruner.run())
    runtime = McpRuntime(
        repo, cache, engine, usage, ctx.material.peppers, ctx.material.sealer, ctx.clock
    )
    runtime.runner = runner
    runtime.executor = executor
    runtime.pruner = pruner
    try:
        yield runtime
    finally:
        engine.close()
        await _cancel(flusher, housekeeping)
        await usage.flush()
        await runner.aclose()
        reader.close()


async def _cancel(*tasks: asyncio.Task[None]) -> None:
    """Stop background tasks and wait until each has unwound."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
