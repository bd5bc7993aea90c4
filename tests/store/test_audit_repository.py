"""``AuditRepository`` against a real database, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from tests.store import factories
from toolkeep.audit.models import AuditEvent
from toolkeep.audit.repository import AuditRepository
from toolkeep.store.database import Database

T0 = factories.T0


def _event(server_id: uuid.UUID, n: int, **fields: Any) -> AuditEvent:
    values: dict[str, Any] = {
        "event": "key.created",
        "at": T0 + timedelta(seconds=n),
        "server_id": server_id,
        "subdomain": "weather",
        "kid": f"kid{n:013d}",
        "details": {"n": n},
    }
    return AuditEvent(**(values | fields))


def test_an_appended_event_reads_back_with_its_id_and_json_details(db: Database) -> None:
    server_id, actor_id = uuid.uuid4(), uuid.uuid4()
    event = _event(
        server_id,
        1,
        actor_id=actor_id,
        actor="owner@example.com",
        ip="198.51.100.4",
        details={"label": "laptop", "expires_at": None, "nested": {"list": [1, "two"]}},
    )
    with db.transaction() as conn:
        AuditRepository(conn).append(event)

    with db.read() as conn:
        (loaded,) = AuditRepository(conn).list_for_server(server_id)

    assert loaded.id is not None
    assert loaded == replace(event, id=loaded.id)


def test_events_are_listed_newest_first_and_only_for_their_server(db: Database) -> None:
    mine, other = uuid.uuid4(), uuid.uuid4()
    with db.transaction() as conn:
        repo = AuditRepository(conn)
        for n in range(3):
            repo.append(_event(mine, n))
            repo.append(_event(other, n))

    with db.read() as conn:
        listed = AuditRepository(conn).list_for_server(mine)

    assert [e.details["n"] for e in listed] == [2, 1, 0]
    assert {e.server_id for e in listed} == {mine}
    ids = [e.id or 0 for e in listed]
    assert ids == sorted(ids, reverse=True)


def test_events_page_with_limit_and_before_id(db: Database) -> None:
    server_id = uuid.uuid4()
    with db.transaction() as conn:
        repo = AuditRepository(conn)
        for n in range(5):
            repo.append(_event(server_id, n))

    with db.read() as conn:
        repo = AuditRepository(conn)
        first_page = repo.list_for_server(server_id, limit=2)
        last_id = first_page[-1].id
        second_page = repo.list_for_server(server_id, limit=2, before_id=last_id)
        rest = repo.list_for_server(server_id, limit=10, before_id=second_page[-1].id)

    assert [e.details["n"] for e in first_page] == [4, 3]
    assert [e.details["n"] for e in second_page] == [2, 1]
    assert [e.details["n"] for e in rest] == [0]


def test_an_event_without_a_server_is_stored(db: Database) -> None:
    with db.transaction() as conn:
        AuditRepository(conn).append(
            AuditEvent(event="user.created", at=T0, actor="system", details={"email": "a@b.co"})
        )
    with db.read() as conn:
        assert AuditRepository(conn).list_for_server(uuid.uuid4()) == []
