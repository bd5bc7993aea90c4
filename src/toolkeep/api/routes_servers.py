"""``/servers``: create, list, read, update, delete; the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from toolkeep.api import presenters
from toolkeep.api.deps import Ctx, CurrentActor
from toolkeep.api.schemas import (
    AuditOut,
    ServerCreateIn,
    ServerOut,
    ServerPatchIn,
    ServerWithKeyOut,
)
from toolkeep.servers.models import ServerChanges

router = APIRouter(prefix="/servers", tags=["servers"])


@router.post("", status_code=201, response_model=ServerWithKeyOut)
def create_server(body: ServerCreateIn, ctx: Ctx, actor: CurrentActor) -> ServerWithKeyOut:
    """Create a server. In API Key mode the response carries its first key, once."""
    result = ctx.servers.create(
        actor,
        name=body.name,
        subdomain=body.subdomain,
        description=body.description,
        security_mode=body.security_mode,
    )
    return presenters.server_with_key_out(ctx, result)


@router.get("", response_model=list[ServerOut])
def list_servers(ctx: Ctx, actor: CurrentActor) -> list[ServerOut]:
    servers = ctx.servers.list_visible(actor)
    owners = ctx.accounts.emails({s.owner_id for s in servers})
    return [presenters.server_out(ctx, s, owners.get(s.owner_id)) for s in servers]


@router.get("/{subdomain}", response_model=ServerOut)
def get_server(subdomain: str, ctx: Ctx, actor: CurrentActor) -> ServerOut:
    server = ctx.servers.get(actor, subdomain)
    owners = ctx.accounts.emails({server.owner_id})
    return presenters.server_out(ctx, server, owners.get(server.owner_id))


@router.patch("/{subdomain}", response_model=ServerWithKeyOut)
def update_server(
    subdomain: str, body: ServerPatchIn, ctx: Ctx, actor: CurrentActor
) -> ServerWithKeyOut:
    """Update fields. Switching to API Key mode with no active key mints one (shown once)."""
    changes = ServerChanges(
        name=body.name, description=body.description, security_mode=body.security_mode
    )
    return presenters.server_with_key_out(ctx, ctx.servers.update(actor, subdomain, changes))


@router.delete("/{subdomain}", status_code=204)
def delete_server(subdomain: str, ctx: Ctx, actor: CurrentActor) -> Response:
    ctx.servers.delete(actor, subdomain)
    return Response(status_code=204)


@router.post("/{subdomain}/unlisted-secret", response_model=ServerOut)
def regenerate_unlisted_secret(subdomain: str, ctx: Ctx, actor: CurrentActor) -> ServerOut:
    """Replace the secret path of an unlisted server; the old URL stops working."""
    return presenters.server_out(ctx, ctx.servers.regenerate_unlisted_secret(actor, subdomain))


@router.get("/{subdomain}/audit", response_model=list[AuditOut])
def audit_trail(
    subdomain: str,
    ctx: Ctx,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> list[AuditOut]:
    """Newest first. Page with ``before_id`` = the smallest id you have."""
    events = ctx.servers.audit_trail(actor, subdomain, limit=limit, before_id=before_id)
    return [presenters.audit_out(e) for e in events]
