"""Request and response bodies of the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolkeep.keys.models import GRACE_PERIODS, REVOKE_REASONS
from toolkeep.servers.models import SecurityMode

Grace = Literal["0s", "1h", "24h", "7d"]
Reason = Literal["owner", "compromised", "unused", "admin", "other"]
assert set(GRACE_PERIODS) == {"0s", "1h", "24h", "7d"}
assert set(REVOKE_REASONS) == {"owner", "compromised", "unused", "admin", "other"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerCreateIn(Strict):
    name: str = Field(max_length=100, examples=["Weather"])
    subdomain: str = Field(max_length=40, examples=["acme-weather"])
    description: str = Field(default="", max_length=2000)
    security_mode: SecurityMode = SecurityMode.API_KEY


class ServerPatchIn(Strict):
    name: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    security_mode: SecurityMode | None = None


class KeyOut(BaseModel):
    kid: str
    label: str
    masked: str = Field(description="tk_<kid>_…<last 4 of the secret>; never the key.")
    status: Literal["active", "rolling", "expired", "revoked"]
    enforced: bool = Field(description="True while the server is in API Key mode.")
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str | None
    replaced_by: str | None
    last_used_at: datetime | None
    last_used_ip: str | None
    last_used_client: str | None


class MintedKeyOut(KeyOut):
    key: str = Field(description="The full API key. Shown in this response only; store it now.")


class ServerOut(BaseModel):
    name: str
    subdomain: str
    description: str
    security_mode: SecurityMode
    endpoints: list[str]
    owner: str | None = None
    created_at: datetime
    updated_at: datetime


class ServerWithKeyOut(ServerOut):
    api_key: MintedKeyOut | None = Field(
        default=None, description="Present when this call minted the first key (shown once)."
    )


class KeyCreateIn(Strict):
    label: str = Field(max_length=64, examples=["claude-desktop"])
    expires_at: datetime | None = Field(default=None, description="Optional; ISO 8601 with zone.")


class RevokeIn(Strict):
    reason: Reason = "owner"


class RollIn(Strict):
    grace: Grace = Field(default="24h", description="How long the old key keeps working.")


class RollOut(BaseModel):
    old: KeyOut
    new: MintedKeyOut


class AuditOut(BaseModel):
    id: int
    at: datetime
    event: str
    actor: str | None
    kid: str | None
    ip: str | None
    details: dict[str, Any]


class ErrorOut(BaseModel):
    error_code: str
    message: str
    field: str | None = None
    request_id: str
