from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEvent:
    event: str
    at: datetime
    server_id: uuid.UUID | None = None
    subdomain: str | None = None
    actor_id: uuid.UUID | None = None
    actor: str | None = None
    kid: str | None = None
    ip: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
