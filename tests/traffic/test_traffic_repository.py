"""Traffic rows written in multi-row batches read back exactly as they were recorded."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from toolkeep.store.database import Database
from toolkeep.traffic.models import TrafficEntry, TrafficFilter
from toolkeep.traffic.repository import CHUNK, TrafficRepository, entry_row

SERVER = uuid.uuid4()
START = datetime(2026, 11, 29, 2, 17, 0, tzinfo=UTC)


def entry(i: int) -> TrafficEntry:
    at = START + timedelta(seconds=i, microseconds=0 if i % 2 else 123456 + i)
    if i % 3 == 0:  # an aware time in another zone is stored as the same instant
        at = at.astimezone(timezone(timedelta(hours=-5)))
    return TrafficEntry(
        at=at,
        server_id=SERVER if i % 4 else uuid.uuid4(),
        http_status=200 if i % 5 else 401,
        duration_ms=i / 1000,
        method="tools/list" if i % 5 else None,
        tool=None if i % 7 else f"tool{i}",
        rpc_error=None if i % 6 else -32602,
        error_code=None if i % 5 else "credentials_missing",
        client_ip="10.0.0.1" if i % 2 else None,
        session_id=f"s{i}" if i % 3 else None,
        kid="0123456789abcdef" if i % 2 else None,
        client="claude-desktop 1.2" if i % 2 else None,
        count=1 if i % 5 else 25,
    )


def test_rows_of_several_statements_read_back_field_for_field(db: Database) -> None:
    entries = [entry(i) for i in range(CHUNK * 2 + 7)]
    with db.transaction() as conn:
        TrafficRepository(conn).insert_rows([entry_row(e) for e in entries])
    with db.read() as conn:
        stored = TrafficRepository(conn).query(SERVER, TrafficFilter(limit=1000))
    expected = [e for e in entries if e.server_id == SERVER]
    assert len(stored) == len(expected)
    for got, want in zip(reversed(stored), expected, strict=True):
        assert got.id is not None
        assert got == replace(want, at=want.at.astimezone(UTC), id=got.id)


def test_time_filters_see_batched_rows(db: Database) -> None:
    with db.transaction() as conn:
        TrafficRepository(conn).insert_many([entry(i) for i in range(1, 40, 4)])
    window = TrafficFilter(since=START + timedelta(seconds=10), until=START + timedelta(seconds=30))
    with db.read() as conn:
        stored = TrafficRepository(conn).query(SERVER, window)
    assert sorted(int((e.at - START).total_seconds()) for e in stored) == [13, 17, 21, 25, 29]


def test_a_row_at_a_whole_second_is_inside_a_window_that_starts_at_that_second(
    db: Database,
) -> None:
    on_the_second = replace(entry(1), at=START + timedelta(seconds=10))  # microsecond 0
    with db.transaction() as conn:
        TrafficRepository(conn).insert_many([on_the_second])
    starts_there = TrafficFilter(since=START + timedelta(seconds=10))
    ends_there = TrafficFilter(until=START + timedelta(seconds=10))
    with db.read() as conn:
        inside = TrafficRepository(conn).query(SERVER, starts_there)
        before = TrafficRepository(conn).query(SERVER, ends_there)
    assert [e.at for e in inside] == [START + timedelta(seconds=10)]
    assert before == []
