"""``UTCDateTime`` gives back aware UTC datetimes on every backend and refuses naive ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import StatementError

from toolkeep.store.database import Database
from toolkeep.store.types import UTCDateTime, utcnow

probe_metadata = MetaData()
probe = Table(
    "utc_probe",
    probe_metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=True),
)


@pytest.fixture
def probe_db(db: Database) -> Iterator[Database]:
    probe_metadata.create_all(db.engine)
    yield db
    probe_metadata.drop_all(db.engine)


def _store_and_load(db: Database, value: datetime | None) -> datetime | None:
    with db.transaction() as conn:
        conn.execute(insert(probe).values(id=1, at=value))
    with db.read() as conn:
        loaded: datetime | None = conn.execute(select(probe.c.at)).scalar_one()
        return loaded


def test_an_aware_utc_datetime_round_trips_exactly(probe_db: Database) -> None:
    value = datetime(2026, 6, 1, 12, 30, 45, 123456, tzinfo=UTC)

    loaded = _store_and_load(probe_db, value)

    assert loaded == value
    assert loaded is not None
    assert loaded.tzinfo is UTC


def test_a_datetime_in_another_zone_comes_back_as_the_same_instant_in_utc(
    probe_db: Database,
) -> None:
    paris_summer = timezone(timedelta(hours=2))
    value = datetime(2026, 6, 1, 14, 30, 0, 500, tzinfo=paris_summer)

    loaded = _store_and_load(probe_db, value)

    assert loaded == value
    assert loaded is not None
    assert loaded.tzinfo is UTC
    assert loaded.hour == 12


def test_null_round_trips_as_none(probe_db: Database) -> None:
    assert _store_and_load(probe_db, None) is None


def test_a_naive_datetime_is_refused_and_nothing_is_written(probe_db: Database) -> None:
    with pytest.raises(StatementError) as caught, probe_db.transaction() as conn:
        conn.execute(insert(probe).values(id=1, at=datetime(2026, 6, 1, 12, 0)))

    assert isinstance(caught.value.orig, ValueError)
    assert "naive datetime" in str(caught.value.orig)
    with probe_db.read() as conn:
        assert conn.execute(select(probe.c.id)).all() == []


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()

    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
