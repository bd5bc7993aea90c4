"""Bookkeeping off the request path: traffic rows, coalesced last-used, revoked-key use.

Requests only append to in-memory buffers; a background task writes them in batches
every ``interval`` seconds and once more on shutdown. Buffers are bounded: under a flood
the oldest work is dropped (and counted) rather than slowing requests down.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy import update

from toolkeep.audit.models import AuditEvent
from toolkeep.audit.repository import AuditRepository
from toolkeep.clock import Clock
from toolkeep.store.database import Database
from toolkeep.store.tables import api_keys
from toolkeep.traffic.models import TrafficEntry
from toolkeep.traffic.repository import Row, TrafficRepository, entry_row

log = logging.getLogger("toolkeep.usage")
COALESCE = timedelta(minutes=1)
PRUNE_EVERY_S = 3600.0


@dataclass(slots=True)
class _LastUse:
    at: datetime
    ip: str | None
    client: str | None


class UsageRecorder:
    def __init__(self, db: Database, clock: Clock, *, max_pending: int = 20_000) -> None:
        self.db = db
        self.clock = clock
        self.max_pending = max_pending
        self.dropped = 0
        self._traffic: list[Row] = []  # traffic_log rows in COLUMNS order (count last)
        self._refusals: dict[tuple[object, ...], list[Any]] = {}  # key -> [row, count]
        self._uses: dict[str, _LastUse] = {}
        self._written: dict[str, datetime] = {}
        self._audits: list[AuditEvent] = []
        self._audited: dict[str, datetime] = {}
        self._flush_lock = asyncio.Lock()

    def traffic(self, entry: TrafficEntry) -> None:
        self.traffic_row(entry_row(entry))

    def traffic_row(self, row: Row) -> None:
        """Buffer one traffic_log row, its values in ``COLUMNS`` order (no object per row)."""
        if len(self._traffic) >= self.max_pending:
            self.dropped += 1
            return
        self._traffic.append(row)

    def refused(
        self,
        server_id: uuid.UUID,
        ip: str | None,
        error_code: str,
        kid: str | None,
        status: int,
        duration_ms: float,
    ) -> None:
        """Count a refused request; identical refusals in one flush window share a row."""
        key = (server_id.int, ip, error_code, kid, status)  # an int hashes in C, a UUID not
        held = self._refusals.get(key)
        if held is not None:
            held[1] += 1
        elif len(self._refusals) < self.max_pending:
            now = self.clock()
            row = (now, server_id, None, None, status, None, error_code, duration_ms, ip, None, kid)
            self._refusals[key] = [row, 1]
        else:
            self.dropped += 1

    def refused_again(
        self, server_id: uuid.UUID, ip: str | None, error_code: str, kid: str | None, status: int
    ) -> bool:
        """Count one more of a refusal already held this flush window (the O(1) step of the
        401 flood); False if there is none yet (then call ``refused``)."""
        held = self._refusals.get((server_id.int, ip, error_code, kid, status))
        if held is None:
            return False
        held[1] += 1
        return True

    def key_used(
        self,
        kid: str,
        stored_last_used: datetime | None,
        ip: str | None,
        client: str | None,
        now: datetime | None = None,
    ) -> None:
        """Remember a use; at most one write per key per minute (across replicas too)."""
        now = now or self.clock()
        pending = self._uses.get(kid)
        if pending is not None:
            pending.at, pending.ip = now, ip
            pending.client = client or pending.client
            return
        if client is None:
            last, written = stored_last_used, self._written.get(kid)
            if written is not None and (last is None or written > last):
                last = written
            if last is not None and now - last < COALESCE:
                return
        if len(self._uses) < self.max_pending:
            self._uses[kid] = _LastUse(now, ip, client)

    def revoked_key_used(
        self, server_id: uuid.UUID, subdomain: str, kid: str, ip: str | None, event: str
    ) -> None:
        """Audit a presented revoked/expired key, at most once per key per minute."""
        now = self.clock()
        last = self._audited.get(kid)
        if (last is not None and now - last < COALESCE) or len(self._audits) >= 1000:
            return
        self._audited[kid] = now
        self._audits.append(
            AuditEvent(
                event=event,
                at=now,
                server_id=server_id,
                subdomain=subdomain,
                actor="mcp-client",
                kid=kid,
                ip=ip,
            )
        )

    async def flush(self) -> None:
        """Write everything buffered so far (in a worker thread)."""
        async with self._flush_lock:
            traffic, self._traffic = self._traffic, []
            traffic += [(*row, None, n) for row, n in self._refusals.values()]
            self._refusals = {}
            uses, self._uses = self._uses, {}
            audits, self._audits = self._audits, []
            if traffic or uses or audits:
                await anyio.to_thread.run_sync(self._write, traffic, uses, audits)

    async def prune(self, retention: timedelta) -> int:
        """Delete traffic rows older than ``retention`` (in a worker thread)."""
        cutoff = self.clock() - retention
        return await anyio.to_thread.run_sync(self._prune, cutoff)

    def _prune(self, cutoff: datetime) -> int:
        with self.db.transaction() as conn:
            return TrafficRepository(conn).delete_before(cutoff)

    async def run(self, interval: float = 1.0, retention: timedelta | None = None) -> None:
        """Flush every ``interval`` seconds; prune past ``retention`` about once an hour."""
        next_prune = 0.0
        while True:
            await asyncio.sleep(interval)
            try:
                if retention is not None and time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_S
                    await self.prune(retention)
                await self.flush()
            except Exception:  # keep recording; the next flush retries new work
                log.exception("usage flush failed")

    def _write(
        self, traffic: list[Row], uses: dict[str, _LastUse], audits: list[AuditEvent]
    ) -> None:
        with self.db.transaction() as conn:
            TrafficRepository(conn).insert_rows(traffic)
            for kid, use in uses.items():
                values: dict[str, object] = {"last_used_at": use.at, "last_used_ip": use.ip}
                if use.client:
                    values["last_used_client"] = use.client[:200]
                conn.execute(update(api_keys).where(api_keys.c.kid == kid).values(**values))
                self._written[kid] = use.at
            repo = AuditRepository(conn)
            for event in audits:
                repo.append(event)
