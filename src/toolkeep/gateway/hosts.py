"""DNS-rebinding protection: which Host names (and browser Origins) may reach MCP endpoints.

Allowed: the host of ``base_url``, ``<anything>.<base_domain>``, the names listed in
``allowed_hosts``, and the loopback names when ``base_url`` is on loopback. ``*`` in
``allowed_hosts`` turns the check off (for deployments behind a proxy that rewrites Host).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from toolkeep.settings import Settings

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _hostname(authority: str) -> str:
    """``Example.com:8000`` → ``example.com``; ``[::1]:80`` → ``::1``."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1:].partition("]")[0]
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


class HostPolicy:
    def __init__(self, settings: Settings) -> None:
        names = {n.lower() for n in settings.allowed_hosts}
        self.any = "*" in names
        base = urlsplit(settings.base_url).hostname or ""
        names.add(base)
        if base in LOOPBACK:
            names |= LOOPBACK
        self.names = frozenset(names)
        self.suffix = "." + settings.base_domain if settings.base_domain else None
        self._seen: set[str] = set()
        self._seen_raw: set[bytes] = set()

    def allows_host(self, authority: str) -> bool:
        if self.any or authority in self._seen:
            return True
        name = _hostname(authority)
        allowed = name in self.names or bool(self.suffix and name.endswith(self.suffix))
        if allowed and len(self._seen) < 1024:
            self._seen.add(authority)  # remember exact allowed spellings; refusals stay uncached
        return allowed

    def allows_raw(self, raw: bytes | None) -> bool:
        """``allows_host`` on the raw Host header value (None: no Host header)."""
        if self.any or raw in self._seen_raw:
            return True
        allowed = self.allows_host("" if raw is None else raw.decode("latin-1"))
        if allowed and raw is not None and len(self._seen_raw) < 1024:
            self._seen_raw.add(raw)  # exact allowed spellings only, as in allows_host
        return allowed

    def allows_origin(self, origin: str, scope: Any) -> bool:
        """Browser Origins must name an allowed host too (``null`` never does)."""
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and self.allows_host(parts.netloc)

    def host_of(self, scope: Any) -> bytes | None:
        """The raw value of the first Host header, if any."""
        for name, value in scope["headers"]:
            if name == b"host":
                return value  # type: ignore[no-any-return]
        return None
