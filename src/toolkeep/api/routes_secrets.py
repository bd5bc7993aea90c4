"""``/servers/{subdomain}/secrets``: list names, set, delete. Values are write-only.

No route returns a value: a saved secret can be replaced or deleted, never read back.
Tool code sees the values as ``env.NAME`` while it runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from toolkeep.api.deps import Ctx, CurrentActor
from toolkeep.api.schemas import Strict
from toolkeep.vault.models import MAX_NAME, MAX_VALUE_BYTES, SecretInfo
from toolkeep.vault.service import VaultService

router = APIRouter(prefix="/servers/{subdomain}/secrets", tags=["secrets"])

NAME_HELP = (
    f"Environment-variable style: 1-{MAX_NAME} uppercase letters, digits and underscores, "
    "not starting with a digit. Tool code reads it as env.NAME."
)


class SecretPutIn(Strict):
    value: str = Field(
        description=f"The secret, 1 to {MAX_VALUE_BYTES} bytes of UTF-8. It is never shown again.",
        examples=["sk_live_..."],
        repr=False,
    )


class SecretOut(BaseModel):
    name: str = Field(description=NAME_HELP)
    created_at: datetime
    updated_at: datetime


def get_vault(ctx: Ctx) -> VaultService:
    return ctx.vault


Vault = Annotated[VaultService, Depends(get_vault)]


def secret_out(info: SecretInfo) -> SecretOut:
    return SecretOut(name=info.name, created_at=info.created_at, updated_at=info.updated_at)


@router.get("", response_model=list[SecretOut])
def list_secrets(subdomain: str, vault: Vault, actor: CurrentActor) -> list[SecretOut]:
    """Names and times, in name order. Values are never returned."""
    return [secret_out(info) for info in vault.list_names(actor, subdomain)]


@router.put(
    "/{name}",
    response_model=SecretOut,
    responses={201: {"model": SecretOut, "description": "Created"}},
)
def put_secret(
    subdomain: str,
    name: str,
    body: SecretPutIn,
    vault: Vault,
    actor: CurrentActor,
    response: Response,
) -> SecretOut:
    """Create the secret (201) or replace its value (200). The value is not echoed."""
    info, created = vault.put(actor, subdomain, name, body.value)
    if created:
        response.status_code = 201
    return secret_out(info)


@router.delete("/{name}", status_code=204)
def delete_secret(subdomain: str, name: str, vault: Vault, actor: CurrentActor) -> Response:
    vault.delete(actor, subdomain, name)
    return Response(status_code=204)
