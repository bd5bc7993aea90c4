"""Toolkeep itself: a fresh data dir with one user, one API-key server ``bench``, its key and
two tools: ``add`` (trivial JavaScript) and ``stats`` (lodash ``_.sum``, ``_.max``,
``_.sortBy``), the counterparts of the plain-Python tools of ``bench/targets/pytools.py``.

``prepare_toolkeep`` runs in the harness process BEFORE the server starts; the server is then
started as ``uvicorn --factory toolkeep.app:create_app`` with ``TOOLKEEP_DATA_DIR`` pointing at
the same directory, so it opens the same SQLite database and key files.
"""

from __future__ import annotations

from pathlib import Path

from toolkeep.actors import Actor
from toolkeep.context import open_context
from toolkeep.servers.models import SecurityMode
from toolkeep.settings import Settings
from toolkeep.tools.models import Parameter, ToolSpec

SUBDOMAIN = "bench"
MCP_PATH = f"/s/{SUBDOMAIN}/mcp"
OWNER_EMAIL = "bench@example.com"
OWNER_PASSWORD = "bench-password-not-secret"
ADD_TOOL = ToolSpec(
    name="add",
    description="Add two integers.",
    code="return params.a + params.b;",
    parameters=(
        Parameter("a", "integer", required=True),
        Parameter("b", "integer", required=True),
    ),
)
STATS_TOOL = ToolSpec(
    name="stats",
    description="Sum, maximum and sorted copy of a list of numbers.",
    code="return {sum: _.sum(params.values), max: _.max(params.values), "
    "sorted: _.sortBy(params.values)};",
    parameters=(Parameter("values", "array", required=True),),
)


def settings_for(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{(data_dir / 'toolkeep.db').resolve()}",
        log_level="warning",
    )


def server_env(data_dir: Path) -> dict[str, str]:
    """Environment for the server process, matching ``settings_for(data_dir)``."""
    settings = settings_for(data_dir)
    return {
        "TOOLKEEP_DATA_DIR": str(data_dir.resolve()),
        "TOOLKEEP_DATABASE_URL": settings.resolved_database_url,
        "TOOLKEEP_LOG_LEVEL": "warning",
    }


def prepare_toolkeep(data_dir: Path) -> tuple[str, str]:
    """Create the bench owner, server and key in ``data_dir``; return (MCP url path, key)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open_context(settings_for(data_dir)) as ctx:
        user = ctx.accounts.create_user(OWNER_EMAIL, OWNER_PASSWORD)
        actor = Actor(user_id=user.id, name=user.email)
        result = ctx.servers.create(
            actor, name="Bench", subdomain=SUBDOMAIN, security_mode=SecurityMode.API_KEY
        )
        if result.minted_key is None:
            raise RuntimeError("creating an api_key server did not mint its first key")
        key = result.minted_key.plaintext

        # The same tools as the SDK and FastMCP targets: tools/list returns these two, the
        # tools_call scenario calls add(2, 3) = 5 and tools_call_lodash calls stats (lodash),
        # both run in the sandbox.
        ctx.tools.create(actor, SUBDOMAIN, ADD_TOOL)
        ctx.tools.create(actor, SUBDOMAIN, STATS_TOOL)

    return MCP_PATH, key
