"""The official ``mcp`` 2.3.0 server (``MCPServer``) in its fastest HTTP configuration.

Stateless Streamable HTTP with JSON responses (no SSE), the plain-Python tools ``add`` and
``stats`` (``bench/targets/pytools.py``, the same two tools as the other MCP targets, so
``tools/list`` answers alike), and a bearer check equivalent to Toolkeep's: a
``TokenVerifier`` that accepts exactly one static key.

Run by the harness as ``uvicorn --factory bench.targets.sdk_server:create_app`` with
``BENCH_API_KEY`` (the key) and ``BENCH_BASE_URL`` (``http://127.0.0.1:<port>``) set.
"""

from __future__ import annotations

import hmac
import os

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette

from bench.targets.pytools import add, stats

MCP_PATH = "/mcp"


class StaticKeyVerifier:
    """Accepts one static bearer key (constant-time compare), like an API-key lock."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if not hmac.compare_digest(token.encode(), self._key):
            return None
        return AccessToken(token=token, client_id="bench", scopes=[])


def create_app() -> Starlette:
    key = os.environ["BENCH_API_KEY"]
    base_url = os.environ.get("BENCH_BASE_URL", "http://127.0.0.1:8000")
    server = MCPServer(
        "bench-sdk",
        token_verifier=StaticKeyVerifier(key),
        auth=AuthSettings(
            issuer_url=base_url,
            resource_server_url=f"{base_url}{MCP_PATH}",
            validate_token_resource=False,
        ),
        log_level="WARNING",
    )
    server.add_tool(add)
    server.add_tool(stats)
    return server.streamable_http_app(
        streamable_http_path=MCP_PATH, stateless_http=True, json_response=True
    )
