from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from toolkeep.crypto import tokens

TOKEN_PREFIX = "tkpat"


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    email: str
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AccessToken:
    kid: str
    user_id: uuid.UUID
    label: str
    last4: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def masked(self) -> str:
        return tokens.mask(TOKEN_PREFIX, self.kid, self.last4)


@dataclass(frozen=True, slots=True)
class MintedToken:
    token: AccessToken
    plaintext: str

    def __repr__(self) -> str:
        return f"MintedToken(kid={self.token.kid!r}, plaintext=<hidden>)"
