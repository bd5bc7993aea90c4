from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime


class SecurityMode(enum.StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    API_KEY = "api_key"


@dataclass(frozen=True, slots=True)
class Server:
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    subdomain: str
    description: str
    security_mode: SecurityMode
    created_at: datetime
    updated_at: datetime
    unlisted_secret: bytes | None = None  # sealed; opened only by the service
    tools_version: int = 0

    def __repr__(self) -> str:
        return f"Server(subdomain={self.subdomain!r}, mode={self.security_mode.value})"


@dataclass(frozen=True, slots=True)
class ServerChanges:
    """A partial update; ``None`` means unchanged."""

    name: str | None = None
    description: str | None = None
    security_mode: SecurityMode | None = None
