from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from toolkeep.crypto import tokens

KEY_PREFIX = "tk"
MAX_ACTIVE_KEYS = 50
MAX_LABEL = 64
GRACE_PERIODS: dict[str, timedelta] = {
    "0s": timedelta(0),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
REVOKE_REASONS = ("owner", "compromised", "unused", "admin", "other")


class KeyStatus(enum.StrEnum):
    ACTIVE = "active"
    ROLLING = "rolling"  # replaced by a roll, still valid until its grace period ends
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class ApiKey:
    kid: str
    server_id: uuid.UUID
    label: str
    last4: str
    created_at: datetime
    created_by: uuid.UUID | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: uuid.UUID | None = None
    revoke_reason: str | None = None
    replaced_by: str | None = None
    last_used_at: datetime | None = None
    last_used_ip: str | None = None
    last_used_client: str | None = None

    @property
    def masked(self) -> str:
        return tokens.mask(KEY_PREFIX, self.kid, self.last4)

    def status(self, now: datetime) -> KeyStatus:
        if self.revoked_at is not None:
            return KeyStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return KeyStatus.EXPIRED
        if self.replaced_by is not None:
            return KeyStatus.ROLLING
        return KeyStatus.ACTIVE

    def holds_label(self, now: datetime) -> bool:
        """Active keys own their label; a rolled key hands it to its replacement."""
        return self.status(now) is KeyStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class MintedKey:
    """A new key and its plaintext, which exists only until this object is returned once."""

    key: ApiKey
    plaintext: str

    def __repr__(self) -> str:
        return f"MintedKey(kid={self.key.kid!r}, plaintext=<hidden>)"
