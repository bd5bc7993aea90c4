"""The FastAPI sub-application mounted at ``/api/v1``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from toolkeep import __version__
from toolkeep.api import (
    routes_keys,
    routes_logs,
    routes_runs,
    routes_secrets,
    routes_servers,
    routes_tools,
)
from toolkeep.api.errors import install_error_handlers, request_id


async def _no_store(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Request-Id"] = request_id(request)
    return response


def create_api() -> FastAPI:
    api = FastAPI(
        title="Toolkeep API",
        version=__version__,
        description=(
            "Manage servers and API keys. Authenticate with a personal access token: "
            "`Authorization: Bearer tkpat_...`. Errors are JSON with a stable `error_code`."
        ),
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    api.middleware("http")(_no_store)
    api.include_router(routes_servers.router)
    api.include_router(routes_keys.router)
    api.include_router(routes_logs.router)
    api.include_router(routes_tools.router)
    api.include_router(routes_secrets.router)
    api.include_router(routes_runs.router)
    install_error_handlers(api)
    return api
