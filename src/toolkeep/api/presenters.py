"""Domain objects to response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from toolkeep.api.schemas import AuditOut, KeyOut, MintedKeyOut, ServerOut, ServerWithKeyOut
from toolkeep.audit.models import AuditEvent
from toolkeep.context import AppContext
from toolkeep.keys.models import ApiKey, MintedKey
from toolkeep.servers.endpoints import endpoint_urls
from toolkeep.servers.models import SecurityMode, Server
from toolkeep.servers.service import ServerResult


def server_out(ctx: AppContext, server: Server, owner: str | None = None) -> ServerOut:
    secret = ctx.servers.unlisted_secret(server)
    return ServerOut(
        name=server.name,
        subdomain=server.subdomain,
        description=server.description,
        security_mode=server.security_mode,
        endpoints=endpoint_urls(ctx.settings, server.subdomain, secret),
        owner=owner,
        created_at=server.created_at,
        updated_at=server.updated_at,
    )


def server_with_key_out(ctx: AppContext, result: ServerResult) -> ServerWithKeyOut:
    minted = result.minted_key
    ids = {result.server.owner_id}
    if minted and minted.key.created_by:
        ids.add(minted.key.created_by)
    emails = ctx.accounts.emails(ids)
    base = server_out(ctx, result.server, emails.get(result.server.owner_id))
    key = minted_out(minted, result.server, ctx.clock(), emails) if minted else None
    return ServerWithKeyOut(**base.model_dump(), api_key=key)


def key_out(key: ApiKey, server: Server, now: datetime, creators: dict[uuid.UUID, str]) -> KeyOut:
    return KeyOut(
        kid=key.kid,
        label=key.label,
        masked=key.masked,
        status=key.status(now).value,
        enforced=server.security_mode is SecurityMode.API_KEY,
        created_at=key.created_at,
        created_by=creators.get(key.created_by) if key.created_by else None,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        revoke_reason=key.revoke_reason,
        replaced_by=key.replaced_by,
        last_used_at=key.last_used_at,
        last_used_ip=key.last_used_ip,
        last_used_client=key.last_used_client,
    )


def minted_out(
    minted: MintedKey, server: Server, now: datetime, creators: dict[uuid.UUID, str]
) -> MintedKeyOut:
    base = key_out(minted.key, server, now, creators)
    return MintedKeyOut(**base.model_dump(), key=minted.plaintext)


def audit_out(event: AuditEvent) -> AuditOut:
    assert event.id is not None
    return AuditOut(
        id=event.id,
        at=event.at,
        event=event.event,
        actor=event.actor,
        kid=event.kid,
        ip=event.ip,
        details=event.details,
    )
