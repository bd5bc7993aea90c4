"""Build audit events from an actor, so callers state only what happened."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from toolkeep.actors import Actor
from toolkeep.audit.models import AuditEvent
from toolkeep.audit.repository import AuditRepository
from toolkeep.clock import Clock
from toolkeep.servers.models import Server


class AuditRecorder:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def record(
        self,
        conn: Connection,
        actor: Actor,
        event: str,
        server: Server | None = None,
        *,
        kid: str | None = None,
        **details: Any,
    ) -> None:
        AuditRepository(conn).append(
            AuditEvent(
                event=event,
                at=self.clock(),
                server_id=server.id if server else None,
                subdomain=server.subdomain if server else None,
                actor_id=actor.user_id,
                actor=actor.name,
                kid=kid,
                ip=actor.ip,
                details=details,
            )
        )
