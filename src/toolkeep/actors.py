"""Who is acting: the principal every service call is authorized and audited against."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: uuid.UUID | None
    name: str  # email, or "cli" / "system"
    is_admin: bool = False
    ip: str | None = None

    def can_access(self, owner_id: uuid.UUID) -> bool:
        return self.is_admin or self.user_id == owner_id


SYSTEM = Actor(user_id=None, name="system", is_admin=True)
