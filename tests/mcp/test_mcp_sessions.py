"""MemorySessionStore: the single-process SessionStore."""

from __future__ import annotations

import pytest

from tests.mcp.harness import SERVER_ID, make_ctx
from toolkeep.mcp import MemorySessionStore, new_session_id

pytestmark = pytest.mark.anyio


async def test_created_session_records_server_key_and_client() -> None:
    store = MemorySessionStore()
    session = await store.create(make_ctx(kid="k1"), "2025-06-18", "cli", "1.0")
    assert (session.server_id, session.kid, session.protocol_version) == (
        SERVER_ID,
        "k1",
        "2025-06-18",
    )
    assert (session.client_name, session.client_version) == ("cli", "1.0")
    assert await store.get(session.id) == session


async def test_ended_session_is_gone() -> None:
    store = MemorySessionStore()
    session = await store.create(make_ctx(), "2025-11-25", None, None)
    assert await store.end(session.id) is True
    assert await store.get(session.id) is None
    assert await store.end(session.id) is False


async def test_store_evicts_least_recently_used_beyond_its_cap() -> None:
    store = MemorySessionStore(max_sessions=2)
    first = await store.create(make_ctx(), "2025-11-25", None, None)
    second = await store.create(make_ctx(), "2025-11-25", None, None)
    await store.get(first.id)
    third = await store.create(make_ctx(), "2025-11-25", None, None)
    assert await store.get(second.id) is None
    assert await store.get(first.id) is not None
    assert await store.get(third.id) is not None


async def test_idle_session_expires() -> None:
    store = MemorySessionStore(idle_timeout=-1.0)
    session = await store.create(make_ctx(), "2025-11-25", None, None)
    assert await store.get(session.id) is None


def test_session_ids_are_long_random_and_visible_ascii() -> None:
    ids = {new_session_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 32 and i.isascii() and i.isprintable() and " " not in i for i in ids)
