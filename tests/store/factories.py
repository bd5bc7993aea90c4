"""Plain domain objects for repository tests, with fixed times and fresh ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from toolkeep.accounts.models import User
from toolkeep.accounts.repository import UserRepository
from toolkeep.crypto import tokens
from toolkeep.keys.models import ApiKey
from toolkeep.keys.repository import ApiKeyRepository
from toolkeep.servers.models import SecurityMode, Server
from toolkeep.servers.repository import ServerRepository

T0 = datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
DIGEST = bytes(range(32))


def user(email: str = "owner@example.com", *, is_admin: bool = False) -> User:
    return User(id=uuid.uuid4(), email=email, is_admin=is_admin, created_at=T0)


def server(
    owner: User, subdomain: str = "weather", *, mode: SecurityMode = SecurityMode.API_KEY
) -> Server:
    return Server(
        id=uuid.uuid4(),
        owner_id=owner.id,
        name=f"Server {subdomain}",
        subdomain=subdomain,
        description="",
        security_mode=mode,
        created_at=T0,
        updated_at=T0,
    )


def api_key(srv: Server, label: str = "default", **fields: Any) -> ApiKey:
    token = tokens.mint("tk")
    values: dict[str, Any] = {"created_at": T0, "created_by": srv.owner_id, **fields}
    return ApiKey(kid=token.kid, server_id=srv.id, label=label, last4=token.last4, **values)


def add_user(conn: Connection, email: str = "owner@example.com") -> User:
    new = user(email)
    UserRepository(conn).insert(new, "argon2-hash-placeholder")
    return new


def add_server(conn: Connection, owner: User, subdomain: str = "weather") -> Server:
    new = server(owner, subdomain)
    ServerRepository(conn).insert(new)
    return new


def add_key(conn: Connection, srv: Server, label: str = "default", **fields: Any) -> ApiKey:
    new = api_key(srv, label, **fields)
    ApiKeyRepository(conn).insert(new, digest=DIGEST, pepper_version=1)
    return new
