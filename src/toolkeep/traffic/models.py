from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class TrafficEntry:
    at: datetime
    server_id: uuid.UUID
    http_status: int
    duration_ms: float
    method: str | None = None
    tool: str | None = None
    rpc_error: int | None = None
    error_code: str | None = None
    client_ip: str | None = None
    session_id: str | None = None
    kid: str | None = None
    client: str | None = None
    count: int = 1
    id: int | None = None


@dataclass(frozen=True, slots=True)
class TrafficFilter:
    method: str | None = None
    tool: str | None = None
    status: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 100
