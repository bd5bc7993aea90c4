"""The limits and allowances of ``sdk.db``; one policy per deployment (or per server)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from toolkeep.sandbox.http.addresses import IPNetwork, Resolver, parse_networks, system_resolver

DEFAULT_MAX_RESULT_BYTES: Final = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DbPolicy:
    """What one ``sdk.db`` call may do.

    ``statement_timeout_s`` is enforced by the database (PostgreSQL ``statement_timeout``,
    MariaDB ``max_statement_time``, MySQL ``max_execution_time``) and again by the parent,
    which abandons the call (and closes the connection) a moment later.
    ``connect_timeout_s`` bounds name resolution, TCP, TLS and authentication together.
    ``max_rows`` caps the rows returned: more rows make the result ``truncated``, never an
    error. ``max_result_bytes`` caps the result as JSON; exceeding it is ``result_too_large``.
    ``allow_networks`` are networks an administrator explicitly opens to tools (a database at
    ``10.1.2.0/24``); everything else must be public unicast, exactly as for ``sdk.http``.
    ``resolver`` is the DNS seam; it is asked once per call and its answer is what gets
    connected.
    """

    statement_timeout_s: float = 10.0
    connect_timeout_s: float = 5.0
    max_rows: int = 1000
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES
    allow_networks: Sequence[IPNetwork] = ()
    max_sql_chars: int = 1024 * 1024
    max_bindings: int = 10_000
    max_binding_chars: int = 16 * 1024 * 1024  # all string bindings of one call together
    resolver: Resolver = field(default=system_resolver, repr=False)

    def __post_init__(self) -> None:
        if not self.statement_timeout_s > 0 or not self.connect_timeout_s > 0:
            raise ValueError("statement_timeout_s and connect_timeout_s must be positive")
        if self.max_rows < 1 or self.max_result_bytes < 1:
            raise ValueError("max_rows and max_result_bytes must be at least 1")
        if self.max_sql_chars < 1 or self.max_bindings < 0 or self.max_binding_chars < 0:
            raise ValueError("the request limits must not be negative")
        object.__setattr__(self, "allow_networks", parse_networks(self.allow_networks))
