"""``toolkeep serve``: migrate, then run the app under uvicorn."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from toolkeep.cli.runtime import (
    Overrides,
    current_overrides,
    load_settings,
    operate,
    safe_url,
)
from toolkeep.serving import HTTP_PROTOCOL
from toolkeep.settings import Settings

FIRST_USER_STEPS = (
    "toolkeep users create you@example.com --admin --password-stdin",
    "toolkeep tokens create --user you@example.com --label cli",
)


def serve(
    cli: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address (default TOOLKEEP_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default TOOLKEEP_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Apply migrations, then serve the dashboard, REST API and MCP endpoints."""
    settings = load_settings(cli)
    host = host or settings.host
    port = settings.port if port is None else port
    with operate(cli) as ctx:  # migrates when auto_migrate, as the app would
        users = ctx.accounts.count_users()
    overrides = current_overrides(cli)
    if "base_url" not in settings.model_fields_set:  # follow --host/--port unless configured
        settings.base_url = os.environ["TOOLKEEP_BASE_URL"] = f"http://{_url_host(host)}:{port}"
    _announce(settings, host, port, users, overrides)
    _export_overrides(overrides)  # each worker's factory builds its own Settings()
    uvicorn.run(
        "toolkeep.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else (workers or settings.workers),
        reload=reload,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http=HTTP_PROTOCOL,  # uvicorn's httptools protocol, writes coalesced
        log_level=settings.log_level.lower(),
        access_log=False,  # the traffic log records requests; no per-request INFO lines
    )


def _announce(settings: Settings, host: str, port: int, users: int, overrides: Overrides) -> None:
    typer.echo(f"Toolkeep serving on http://{_url_host(host)}:{port}")
    if settings.base_url != f"http://{_url_host(host)}:{port}":
        typer.echo(f"Public URL (TOOLKEEP_BASE_URL): {settings.base_url}")
    typer.echo(f"Database: {safe_url(settings)}")
    if users:
        return
    typer.echo("\nNo user exists yet. Create the first one (an admin), then a token for the API:")
    command = _command_name()
    for step in FIRST_USER_STEPS:
        typer.echo(f"    {step.replace('toolkeep', command, 1)}")
    if overrides.values():
        typer.echo("(pass the same --data-dir / --database-url options to these commands)")
    typer.echo("")


def _command_name() -> str:
    """``toolkeep`` when that is on PATH, else the path this process was started with
    (e.g. ``.venv/bin/toolkeep`` under ``make serve``), so the hint can be pasted as is."""
    started = Path(sys.argv[0])
    on_path = shutil.which("toolkeep")
    if started.name == "toolkeep" and (on_path is None or Path(on_path) != started.resolve()):
        return os.path.relpath(started) if started.is_absolute() else str(started)
    return "toolkeep"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _export_overrides(overrides: Overrides) -> None:
    """Hand --data-dir / --database-url to ``create_app``, which reads the environment."""
    if overrides.data_dir is not None:
        os.environ["TOOLKEEP_DATA_DIR"] = str(overrides.data_dir.resolve())
    if overrides.database_url is not None:
        os.environ["TOOLKEEP_DATABASE_URL"] = overrides.database_url
