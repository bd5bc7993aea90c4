"""Reading the traffic log, for a server's owner."""

from __future__ import annotations

from toolkeep.actors import Actor
from toolkeep.servers.access import resolve_server
from toolkeep.store.database import Database
from toolkeep.traffic.models import TrafficEntry, TrafficFilter
from toolkeep.traffic.repository import TrafficRepository


class TrafficService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list_entries(
        self, actor: Actor, subdomain: str, where: TrafficFilter
    ) -> list[TrafficEntry]:
        with self.db.read() as conn:
            server = resolve_server(conn, actor, subdomain)
            return TrafficRepository(conn).query(server.id, where)
