"""Legacy MCP sessions are pruned off the request path: ended ones and those past the max age."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import anyio
import anyio.from_thread
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.gateway.conftest import World, runtime_of
from tests.gateway.test_sessions import URL, headers, open_session, request
from tests.support.clock import ManualClock
from tests.support.owners import owner
from toolkeep.context import AppContext
from toolkeep.gateway.housekeeping import SessionPruner
from toolkeep.gateway.sessions import DbSessionStore
from toolkeep.mcp.ports import RequestContext
from toolkeep.servers.models import SecurityMode
from toolkeep.store.fastread import FastReader
from toolkeep.store.tables import mcp_sessions

MAX_AGE = timedelta(hours=720)


@pytest.fixture
def store(ctx: AppContext, clock: ManualClock) -> Iterator[DbSessionStore]:
    reader = FastReader(ctx.db.url)
    yield DbSessionStore(ctx.db, reader, clock)
    reader.close()


def stored_ids(ctx: AppContext) -> set[str]:
    with ctx.db.read() as conn:
        return set(conn.execute(select(mcp_sessions.c.id)).scalars())


@pytest.mark.anyio
async def test_ended_sessions_and_those_past_the_max_age_are_deleted_and_recent_live_ones_kept(
    ctx: AppContext, clock: ManualClock, store: DbSessionStore
) -> None:
    actor = owner(ctx, "owner@example.com")
    server = ctx.servers.create(
        actor, name="Acme", subdomain="acme", security_mode=SecurityMode.PUBLIC
    ).server
    rctx = RequestContext(server.id, "Acme", "acme", None, None, "req")

    async def opened() -> str:
        return (await store.create(rctx, "2025-11-25", "client", "1.0")).id

    too_old = await opened()
    clock.advance(timedelta(hours=1))
    just_max_age = await opened()
    clock.advance(timedelta(hours=719))
    ended, recent = await opened(), await opened()
    assert await store.end(ended)
    clock.advance(timedelta(hours=1))  # too_old is 721 h old, just_max_age exactly 720 h
    assert stored_ids(ctx) == {too_old, just_max_age, ended, recent}

    assert store.prune(clock(), MAX_AGE) == 2
    assert stored_ids(ctx) == {just_max_age, recent}
    assert store.prune(clock(), MAX_AGE) == 0


class FlakyStore:
    """Fails its first prune, succeeds on the second and then signals the test."""

    def __init__(self) -> None:
        self.calls: list[tuple[datetime, timedelta]] = []
        self.retried = anyio.Event()

    def prune(self, now: datetime, max_age: timedelta) -> int:
        self.calls.append((now, max_age))
        if len(self.calls) == 1:
            raise OSError("database unreachable")
        if len(self.calls) == 2:
            anyio.from_thread.run_sync(self.retried.set)
        return 0


@pytest.mark.anyio
async def test_a_failed_prune_is_logged_and_retried_and_the_task_stops_when_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, clock = FlakyStore(), ManualClock()
    pruner = SessionPruner(store, clock, MAX_AGE)
    with anyio.fail_after(10):
        task = asyncio.create_task(pruner.run(every=0, first_after=0))
        await store.retried.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert store.calls[:2] == [(clock.now, MAX_AGE)] * 2
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failed] == ["pruning MCP sessions failed"]


def test_a_pruned_legacy_session_answers_404_and_a_new_initialize_works(
    client: TestClient, world: World, clock: ManualClock
) -> None:
    listing = request("tools/list")
    old = open_session(client, world.key)
    ended = open_session(client, world.key)
    assert client.delete(URL, headers=headers(world.key, ended)).status_code == 204
    assert client.post(URL, json=listing, headers=headers(world.key, old)).status_code == 200
    clock.advance(MAX_AGE + timedelta(minutes=1))  # past the default session_max_age_hours
    fresh = open_session(client, world.key)

    pruner = runtime_of(client).pruner
    assert pruner is not None
    assert pruner.max_age == MAX_AGE
    assert client.portal is not None
    assert client.portal.call(pruner.prune) == 2

    gone = client.post(URL, json=listing, headers=headers(world.key, old))
    assert gone.status_code == 404
    assert gone.json()["error"]["message"] == "Session not found; re-initialize"
    assert client.post(URL, json=listing, headers=headers(world.key, fresh)).status_code == 200
    again = open_session(client, world.key)
    assert client.post(URL, json=listing, headers=headers(world.key, again)).status_code == 200
