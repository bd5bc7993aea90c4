"""A tiny official-SDK MCP server (``mcp`` 2.3.0) locked with one static API key.

One tool, ``add(a: int, b: int) -> int``, behind a static-key ``TokenVerifier``. The SDK
answers a missing or wrong key with 401 and a ``WWW-Authenticate`` challenge pointing at its
RFC 9728 metadata, which names the server itself as the authorization server (there is none),
so OAuth-capable clients given no header try OAuth and fail: a realistic "no key" target.
"""

from __future__ import annotations

import hmac
import warnings

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette

__all__ = ["StaticKeyVerifier", "build_tiny_app"]


class StaticKeyVerifier:
    """Accepts exactly one bearer token; a stand-in for the platform's API keys."""

    def __init__(self, key: str, resource: str) -> None:
        self._key = key.encode()
        self._resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        if not hmac.compare_digest(token.encode(), self._key):
            return None
        return AccessToken(token=token, client_id="e2e", scopes=[], resource=self._resource)


def build_tiny_app(
    base_url: str,
    key: str,
    *,
    path: str = "/mcp",
    json_response: bool = False,
    stateless: bool = False,
) -> Starlette:
    """The Streamable HTTP app of the tiny server, to be served at ``base_url``."""
    resource = base_url.rstrip("/") + path
    with warnings.catch_warnings():  # "validate_token_resource unset" deprecation notice
        warnings.simplefilter("ignore")
        auth = AuthSettings(
            issuer_url=base_url,  # pydantic coerces str to AnyHttpUrl
            resource_server_url=resource,
            validate_token_resource=True,
        )
    server: MCPServer = MCPServer(
        "tiny",
        version="1.0.0",
        token_verifier=StaticKeyVerifier(key, resource),
        auth=auth,
        log_level="WARNING",
    )

    @server.tool(description="Add two integers and return their sum.")
    def add(a: int, b: int) -> int:
        return a + b

    return server.streamable_http_app(
        streamable_http_path=path,
        json_response=json_response,
        stateless_http=stateless,
        host="127.0.0.1",
    )
