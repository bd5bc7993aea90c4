"""Two server processes sharing one PostgreSQL database, as replicas behind a balancer."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import _new_pg_database
from tests.gateway.test_sessions import INIT, request
from tests.support.processes import toolkeep_process
from toolkeep.actors import Actor
from toolkeep.context import open_context
from toolkeep.settings import Settings
from toolkeep.tools.models import Parameter, ToolSpec
from toolkeep.tools.service import ToolService

pytestmark = pytest.mark.postgres
ACCEPT = "application/json, text/event-stream"


def prepare(settings: Settings) -> tuple[str, str]:
    """A user with a token and a server with one tool; returns (key, token)."""
    with open_context(settings) as ctx:
        user = ctx.accounts.create_user("ops@example.com", "correct horse battery")
        actor = Actor(user.id, user.email)
        created = ctx.servers.create(actor, name="Acme", subdomain="acme")
        spec = ToolSpec("echo", "Echo.", "return params.text;", (Parameter("text", "string"),))
        ToolService(ctx.db, ctx.clock).create(actor, "acme", spec)
        assert created.minted_key is not None
        token = ctx.accounts.create_token(user.email, "ops").plaintext
        return created.minted_key.plaintext, token


def test_sessions_span_replicas_and_a_revocation_on_one_is_effective_on_the_other(
    pg_admin_url: str, tmp_path: Path
) -> None:
    url = _new_pg_database(pg_admin_url)
    settings = Settings(data_dir=tmp_path / "data", database_url=url, _env_file=None)
    key, token = prepare(settings)
    kid = key.split("_")[1]
    mcp = {"Accept": ACCEPT, "Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    with (
        toolkeep_process(settings.data_dir, url, tmp_path / "a.log") as replica_a,
        toolkeep_process(settings.data_dir, url, tmp_path / "b.log") as replica_b,
        httpx.Client(timeout=10) as http,
    ):
        opened = http.post(f"{replica_a}/s/acme/mcp", json=INIT, headers=mcp)
        assert opened.status_code == 200
        session = {**mcp, "Mcp-Session-Id": opened.headers["mcp-session-id"],
                   "MCP-Protocol-Version": "2025-11-25"}  # fmt: skip
        call = request("tools/call", name="echo", arguments={"text": "hi"})
        on_b = http.post(f"{replica_b}/s/acme/mcp", json=call, headers=session)
        assert on_b.status_code == 200
        assert on_b.json()["result"]["content"][0]["text"] == "hi"
        revoked = http.post(
            f"{replica_b}/api/v1/servers/acme/keys/{kid}/revoke",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert revoked.status_code == 200
        on_a = http.post(f"{replica_a}/s/acme/mcp", json=call, headers=session)
        assert on_a.status_code == 401
        assert on_a.json()["error_code"] == "key_revoked"
