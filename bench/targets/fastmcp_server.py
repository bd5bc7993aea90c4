"""A FastMCP 4.2.3 server with the same tools and an equivalent bearer check.

The tools are plain in-process Python (``bench/targets/pytools.py``): ``add`` and ``stats``,
the counterparts of Toolkeep's JavaScript ``add`` and lodash ``stats``. They are ordinary
sync functions, registered as a FastMCP user would write them (FastMCP runs a sync tool on a
worker thread by default).

``StaticTokenVerifier`` (FastMCP's static-token resource-server verifier) holds the one key;
the HTTP app is stateless with JSON responses, as for the SDK target.

Run by the harness as ``uvicorn --factory bench.targets.fastmcp_server:create_app`` with
``BENCH_API_KEY`` and ``BENCH_BASE_URL`` set.
"""

from __future__ import annotations

import os

from fastmcp import FastMCP
from fastmcp.server.auth.providers.jwt import StaticTokenVerifier
from starlette.applications import Starlette

from bench.targets.pytools import add, stats

MCP_PATH = "/mcp"


def create_app() -> Starlette:
    key = os.environ["BENCH_API_KEY"]
    verifier = StaticTokenVerifier(tokens={key: {"client_id": "bench", "scopes": []}})
    server: FastMCP = FastMCP("bench-fastmcp", auth=verifier)
    server.tool(add)
    server.tool(stats)
    return server.http_app(path=MCP_PATH, stateless_http=True, json_response=True)
