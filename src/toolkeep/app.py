"""The application factory."""

from __future__ import annotations

import gc
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
from toolkeep.gateway.asgi import RUNTIME_KEY, McpGateway
from toolkeep.gateway.lifespan import open_runtime
from toolkeep.settings import Settings
from toolkeep.vault import logfilter


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> McpGateway:
    """Build the ASGI app. Nothing touches the disk or database until the lifespan runs.

    The outermost layer is the MCP gateway (pure ASGI, authentication first); everything
    that is not MCP traffic falls through to the Starlette app (REST API, health).
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        logfilter.install()  # no API key or token reaches any log line, from any logger
        with open_context(settings, clock=clock) as ctx:
            async with open_runtime(ctx) as runtime:
                gc.freeze()  # startup objects never die: keep them out of every collection
                yield {"ctx": ctx, RUNTIME_KEY: runtime}

    routes = [
        Route("/healthz", _health),
        Mount("/api/v1", app=create_api()),
    ]
    web = Starlette(routes=routes, lifespan=lifespan)
    return McpGateway(web, settings)
