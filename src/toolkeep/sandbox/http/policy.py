"""The limits and allowances of ``sdk.http``; one policy per deployment (or per server)."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field

from toolkeep.sandbox.http.addresses import IPNetwork, Resolver, parse_networks, system_resolver

DEFAULT_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """What one ``sdk.http`` call may do.

    ``timeout_s`` bounds the whole call (DNS, connects, TLS, every redirect hop, the body).
    ``max_body_bytes`` caps the *decoded* response body (and the bytes on the wire).
    ``allow_networks`` are networks an administrator explicitly opens to tools (say an
    internal API at ``10.1.2.0/24``); everything else must be public unicast.
    ``ssl_context`` replaces the default trust store (certifi), e.g. for an internal CA.
    ``resolver`` is the DNS seam (tests, or a deployment's own resolver); it is asked once per
    connection and its answer is what gets connected.
    """

    timeout_s: float = 10.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_redirects: int = 5
    allowed_methods: frozenset[str] = DEFAULT_METHODS
    allow_networks: Sequence[IPNetwork] = ()
    user_agent: str = "Toolkeep-Tool/1"
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    resolver: Resolver = field(default=system_resolver, repr=False)

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError("timeout_s must be positive")
        if self.max_body_bytes < 0 or self.max_redirects < 0:
            raise ValueError("max_body_bytes and max_redirects must not be negative")
        object.__setattr__(self, "allow_networks", parse_networks(self.allow_networks))
        object.__setattr__(
            self, "allowed_methods", frozenset(m.upper() for m in self.allowed_methods)
        )
