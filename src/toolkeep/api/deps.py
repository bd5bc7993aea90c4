"""Dependencies shared by the routes: the context and the calling actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from toolkeep.actors import Actor
from toolkeep.context import AppContext


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.state.ctx
    return ctx


def bearer_value(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def current_actor(request: Request, ctx: Annotated[AppContext, Depends(get_ctx)]) -> Actor:
    ip = request.client.host if request.client else None
    return ctx.accounts.authenticate_token(bearer_value(request), ip)


Ctx = Annotated[AppContext, Depends(get_ctx)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
