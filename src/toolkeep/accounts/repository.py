"""SQL for ``users`` and ``personal_access_tokens``."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from toolkeep.accounts.errors import EmailTaken
from toolkeep.accounts.models import AccessToken, User
from toolkeep.store.tables import personal_access_tokens as pats
from toolkeep.store.tables import users

_USER_COLUMNS = [users.c[f.name] for f in fields(User)]
_TOKEN_COLUMNS = [pats.c[f.name] for f in fields(AccessToken)]


class UserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert(self, user: User, password_hash: str) -> None:
        values = {f.name: getattr(user, f.name) for f in fields(User)}
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(users).values(**values, password_hash=password_hash))
        except IntegrityError:
            raise EmailTaken(f"A user with email '{user.email}' already exists.") from None

    def get(self, user_id: uuid.UUID) -> User | None:
        row = self.conn.execute(select(*_USER_COLUMNS).where(users.c.id == user_id)).first()
        return User(**row._asdict()) if row else None

    def get_by_email(self, email: str) -> User | None:
        row = self.conn.execute(select(*_USER_COLUMNS).where(users.c.email == email)).first()
        return User(**row._asdict()) if row else None

    def password_hash(self, user_id: uuid.UUID) -> str | None:
        return self.conn.execute(
            select(users.c.password_hash).where(users.c.id == user_id)
        ).scalar_one_or_none()

    def list_all(self) -> list[User]:
        return [User(**r._asdict()) for r in self.conn.execute(select(*_USER_COLUMNS))]

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(users)).scalar_one())


class TokenRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert(self, token: AccessToken, *, digest: bytes, pepper_version: int) -> None:
        values = {f.name: getattr(token, f.name) for f in fields(AccessToken)}
        self.conn.execute(
            insert(pats).values(**values, digest=digest, pepper_version=pepper_version)
        )

    def get_with_digest(self, kid: str) -> tuple[AccessToken, bytes, int] | None:
        row = self.conn.execute(
            select(*_TOKEN_COLUMNS, pats.c.digest, pats.c.pepper_version).where(pats.c.kid == kid)
        ).first()
        if row is None:
            return None
        values: dict[str, Any] = row._asdict()
        digest, version = values.pop("digest"), values.pop("pepper_version")
        return AccessToken(**values), digest, version

    def list_for_user(self, user_id: uuid.UUID) -> list[AccessToken]:
        rows = self.conn.execute(
            select(*_TOKEN_COLUMNS).where(pats.c.user_id == user_id).order_by(pats.c.created_at)
        )
        return [AccessToken(**r._asdict()) for r in rows]

    def revoke(self, kid: str, at: datetime) -> None:
        self.conn.execute(
            update(pats).where(pats.c.kid == kid, pats.c.revoked_at.is_(None)).values(revoked_at=at)
        )

    def touch(self, kid: str, at: datetime) -> None:
        self.conn.execute(update(pats).where(pats.c.kid == kid).values(last_used_at=at))


def emails_by_id(conn: Connection, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = conn.execute(select(users.c.id, users.c.email).where(users.c.id.in_(ids)))
    return {row.id: row.email for row in rows}
