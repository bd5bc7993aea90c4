from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

MAX_SECRETS = 100
MAX_NAME = 64
MAX_VALUE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """What may be shown about a secret: its name and times. Never the value."""

    name: str
    created_at: datetime
    updated_at: datetime


def seal_context(server_id: uuid.UUID, name: str) -> str:
    """Associated data binding a sealed value to its row: copied elsewhere, it does not open."""
    return f"secret:{server_id}:{name}"
