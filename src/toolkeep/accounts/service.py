"""Users, passwords and personal access tokens."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from toolkeep.accounts.errors import (
    InvalidAccountField,
    TokenInvalid,
    TokenMissing,
    TokenNotFound,
    UserNotFound,
)
from toolkeep.accounts.models import TOKEN_PREFIX, AccessToken, MintedToken, User
from toolkeep.accounts.repository import TokenRepository, UserRepository, emails_by_id
from toolkeep.actors import SYSTEM, Actor
from toolkeep.audit.recorder import AuditRecorder
from toolkeep.clock import Clock
from toolkeep.crypto import passwords, tokens
from toolkeep.crypto.peppers import Peppers
from toolkeep.store.database import Database

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD = 12
TOUCH_EVERY = timedelta(minutes=1)


class AccountService:
    def __init__(self, db: Database, peppers: Peppers, clock: Clock) -> None:
        self.db = db
        self.peppers = peppers
        self.clock = clock
        self.audit = AuditRecorder(clock)

    def create_user(self, email: str, password: str, *, is_admin: bool = False) -> User:
        email = _check_email(email)
        if len(password) < MIN_PASSWORD:
            raise InvalidAccountField(
                f"A password is at least {MIN_PASSWORD} characters.", field="password"
            )
        user = User(id=uuid.uuid4(), email=email, is_admin=is_admin, created_at=self.clock())
        hashed = passwords.hash_password(password)
        with self.db.transaction() as conn:
            UserRepository(conn).insert(user, hashed)
            self.audit.record(conn, SYSTEM, "user.created", email=email, is_admin=is_admin)
        return user

    def get_user(self, email: str) -> User:
        with self.db.read() as conn:
            user = UserRepository(conn).get_by_email(_check_email(email))
        if user is None:
            raise UserNotFound(email)
        return user

    def list_users(self) -> list[User]:
        with self.db.read() as conn:
            return UserRepository(conn).list_all()

    def emails(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        with self.db.read() as conn:
            return emails_by_id(conn, ids)

    def count_users(self) -> int:
        with self.db.read() as conn:
            return UserRepository(conn).count()

    def check_password(self, email: str, password: str) -> User | None:
        with self.db.read() as conn:
            repo = UserRepository(conn)
            user = repo.get_by_email(email.strip().lower())
            stored = repo.password_hash(user.id) if user else None
        if user is None or stored is None:
            passwords.hash_password(password)  # same cost whether or not the user exists
            return None
        return user if passwords.verify_password(stored, password) else None

    def create_token(self, email: str, label: str) -> MintedToken:
        user = self.get_user(email)
        label = label.strip()
        if not label or len(label) > 64:
            raise InvalidAccountField("A token label is 1-64 characters.", field="label")
        token = tokens.mint(TOKEN_PREFIX)
        record = AccessToken(
            kid=token.kid,
            user_id=user.id,
            label=label,
            last4=token.last4,
            created_at=self.clock(),
        )
        version = self.peppers.current
        digest = self.peppers.digest(version, token.kid, token.secret)
        with self.db.transaction() as conn:
            TokenRepository(conn).insert(record, digest=digest, pepper_version=version)
            actor = Actor(user_id=user.id, name=user.email, is_admin=user.is_admin)
            self.audit.record(conn, actor, "token.created", kid=token.kid, label=label)
        return MintedToken(token=record, plaintext=token.plaintext)

    def list_tokens(self, email: str) -> list[AccessToken]:
        user = self.get_user(email)
        with self.db.read() as conn:
            return TokenRepository(conn).list_for_user(user.id)

    def revoke_token(self, email: str, kid: str) -> None:
        user = self.get_user(email)
        with self.db.transaction() as conn:
            repo = TokenRepository(conn)
            found = repo.get_with_digest(kid)
            if found is None or found[0].user_id != user.id:
                raise TokenNotFound(f"No token '{kid}' for {email}.")
            repo.revoke(kid, self.clock())
            actor = Actor(user_id=user.id, name=user.email, is_admin=user.is_admin)
            self.audit.record(conn, actor, "token.revoked", kid=kid)

    def authenticate_token(self, presented: str | None, ip: str | None = None) -> Actor:
        """The actor a bearer token speaks for; raises TokenMissing / TokenInvalid."""
        if not presented:
            raise TokenMissing()
        token = tokens.parse(TOKEN_PREFIX, presented)
        if token is None:
            raise TokenInvalid()
        with self.db.transaction() as conn:
            found = TokenRepository(conn).get_with_digest(token.kid)
            if found is None:
                self.peppers.burn(token.kid, token.secret)
                raise TokenInvalid()
            record, digest, version = found
            now = self.clock()
            valid = self.peppers.verify(version, token.kid, token.secret, digest)
            if not valid or record.revoked_at or (record.expires_at and record.expires_at <= now):
                raise TokenInvalid()
            user = UserRepository(conn).get(record.user_id)
            if user is None:
                raise TokenInvalid()
            if record.last_used_at is None or now - record.last_used_at >= TOUCH_EVERY:
                TokenRepository(conn).touch(token.kid, now)
        return Actor(user_id=user.id, name=user.email, is_admin=user.is_admin, ip=ip)


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL_RE.fullmatch(email):
        raise InvalidAccountField(f"'{email}' is not an email address.", field="email")
    return email
