"""Which requests belong to the MCP edge, and for which hosted server."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

OAUTH_PREFIXES: Final = (
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-authorization-server",
    "/.well-known/openid-configuration",
)
OAUTH_ENDPOINTS: Final = frozenset({"/register", "/authorize", "/token"})
_SUBDOMAIN: Final = re.compile(r"[a-z0-9-]{1,63}")


@dataclass(frozen=True, slots=True)
class McpTarget:
    subdomain: str
    secret: str | None  # the path segment after /mcp (unlisted servers), if any


OAUTH_PROBE: Final = "oauth"


def route(scope: dict[str, Any] | Any, base_domain: str | None) -> McpTarget | str | None:
    """An ``McpTarget``, ``OAUTH_PROBE`` for OAuth discovery paths, or None (not ours)."""
    path: str = scope["path"]
    if path.startswith("/s/"):
        subdomain, _, rest = path[3:].partition("/")
        return _mcp_path(subdomain, "/" + rest) if subdomain else None
    if base_domain:
        host_subdomain = _host_subdomain(scope, base_domain)
        if host_subdomain is not None:
            return _mcp_path(host_subdomain, path)
    return OAUTH_PROBE if _is_oauth(path) else None


def _mcp_path(subdomain: str, rest: str) -> McpTarget | str | None:
    if not _SUBDOMAIN.fullmatch(subdomain):
        return None  # no server can have this name; it must not reach a header either
    if rest in ("/mcp", "/mcp/"):
        return McpTarget(subdomain, None)
    if rest.startswith("/mcp/"):
        secret = rest[5:].rstrip("/")
        return McpTarget(subdomain, secret) if "/" not in secret else None
    return OAUTH_PROBE if _is_oauth(rest) else None


def _is_oauth(path: str) -> bool:
    return path.rstrip("/") in OAUTH_ENDPOINTS or path.startswith(OAUTH_PREFIXES)


def _host_subdomain(scope: Any, base_domain: str) -> str | None:
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1").lower().rsplit(":", 1)[0]
            suffix = "." + base_domain
            if host.endswith(suffix):
                label = host[: -len(suffix)]
                return label if label and "." not in label else None
            return None
    return None
