"""Resolve a server by subdomain for an actor; invisible and missing look the same."""

from __future__ import annotations

from sqlalchemy import Connection

from toolkeep.actors import Actor
from toolkeep.servers.errors import ServerNotFound
from toolkeep.servers.models import Server
from toolkeep.servers.repository import ServerRepository


def resolve_server(
    conn: Connection, actor: Actor, subdomain: str, *, for_update: bool = False
) -> Server:
    server = ServerRepository(conn).get_by_subdomain(subdomain, for_update=for_update)
    if server is None or not actor.can_access(server.owner_id):
        raise ServerNotFound(subdomain)
    return server
