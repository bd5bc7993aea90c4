"""``/servers/{subdomain}/logs``: the traffic log of a server, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from toolkeep.api.deps import Ctx, CurrentActor
from toolkeep.errors import InvalidInput
from toolkeep.traffic.models import TrafficEntry, TrafficFilter
from toolkeep.traffic.service import TrafficService

router = APIRouter(prefix="/servers/{subdomain}/logs", tags=["logs"])


class LogOut(BaseModel):
    id: int
    at: datetime
    method: str | None
    tool: str | None
    http_status: int
    rpc_error: int | None
    error_code: str | None
    duration_ms: float
    client_ip: str | None
    session_id: str | None
    kid: str | None
    client: str | None
    count: int = Field(description="Identical refused requests aggregated into this row.")


def _out(entry: TrafficEntry) -> LogOut:
    assert entry.id is not None
    return LogOut(
        id=entry.id,
        at=entry.at,
        method=entry.method,
        tool=entry.tool,
        http_status=entry.http_status,
        rpc_error=entry.rpc_error,
        error_code=entry.error_code,
        duration_ms=entry.duration_ms,
        client_ip=entry.client_ip,
        session_id=entry.session_id,
        kid=entry.kid,
        client=entry.client,
        count=entry.count,
    )


@router.get("", response_model=list[LogOut])
def list_logs(
    subdomain: str,
    ctx: Ctx,
    actor: CurrentActor,
    method: Annotated[str | None, Query(max_length=64)] = None,
    tool: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601, inclusive")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601, exclusive")] = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[LogOut]:
    """Requests recorded for this server (written in batches about once a second)."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} needs a timezone, e.g. 2026-01-01T00:00:00Z.", field=name)
    where = TrafficFilter(method, tool, status, since, until, before_id, limit)
    entries = TrafficService(ctx.db).list_entries(actor, subdomain, where)
    return [_out(entry) for entry in entries]
