"""``/servers/{subdomain}/keys``: create, list, revoke, roll."""

from __future__ import annotations

from fastapi import APIRouter

from toolkeep.api import presenters
from toolkeep.api.deps import Ctx, CurrentActor
from toolkeep.api.schemas import KeyCreateIn, KeyOut, MintedKeyOut, RevokeIn, RollIn, RollOut

router = APIRouter(prefix="/servers/{subdomain}/keys", tags=["keys"])


@router.post("", status_code=201, response_model=MintedKeyOut)
def create_key(subdomain: str, body: KeyCreateIn, ctx: Ctx, actor: CurrentActor) -> MintedKeyOut:
    """Mint a key. The full key is in this response only."""
    minted = ctx.keys.create(actor, subdomain, body.label, body.expires_at)
    server = ctx.servers.get(actor, subdomain)
    creators = ctx.accounts.emails({actor.user_id} if actor.user_id else set())
    return presenters.minted_out(minted, server, ctx.clock(), creators)


@router.get("", response_model=list[KeyOut])
def list_keys(subdomain: str, ctx: Ctx, actor: CurrentActor) -> list[KeyOut]:
    server, keys = ctx.keys.list_keys(actor, subdomain)
    creators = ctx.accounts.emails({k.created_by for k in keys if k.created_by})
    now = ctx.clock()
    return [presenters.key_out(k, server, now, creators) for k in keys]


@router.post("/{kid}/revoke", response_model=KeyOut)
def revoke_key(
    subdomain: str, kid: str, ctx: Ctx, actor: CurrentActor, body: RevokeIn | None = None
) -> KeyOut:
    """Revoke at once (idempotent). The very next request with the key gets 401."""
    key = ctx.keys.revoke(actor, subdomain, kid, (body or RevokeIn()).reason)
    server = ctx.servers.get(actor, subdomain)
    creators = ctx.accounts.emails({key.created_by} if key.created_by else set())
    return presenters.key_out(key, server, ctx.clock(), creators)


@router.post("/{kid}/roll", response_model=RollOut)
def roll_key(
    subdomain: str, kid: str, ctx: Ctx, actor: CurrentActor, body: RollIn | None = None
) -> RollOut:
    """Mint a replacement now; the old key expires after the grace period."""
    result = ctx.keys.roll(actor, subdomain, kid, (body or RollIn()).grace)
    server = ctx.servers.get(actor, subdomain)
    ids = {k.created_by for k in (result.old, result.new.key) if k.created_by}
    creators = ctx.accounts.emails(ids)
    now = ctx.clock()
    return RollOut(
        old=presenters.key_out(result.old, server, now, creators),
        new=presenters.minted_out(result.new, server, now, creators),
    )
