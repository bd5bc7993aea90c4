"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from toolkeep.api.app import create_api
from toolkeep.clock import Clock, system_clock
from toolkeep.context import open_context
from toolkeep.settings import Settings


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> Starlette:
    """Build the ASGI app. Nothing touches the disk or database until the lifespan runs."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        with open_context(settings, clock=clock) as ctx:
            yield {"ctx": ctx}

    routes = [
        Route("/healthz", _health),
        Mount("/api/v1", app=create_api()),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
