"""Find the one credential a request carries, per RFC 6750, before any database work."""

from __future__ import annotations

import enum
from typing import Any, Final, NamedTuple
from urllib.parse import parse_qsl

QUERY_CREDENTIALS: Final = frozenset(
    {"access_token", "api_key", "apikey", "api-key", "key", "token", "bearer", "auth"}
)


class Problem(enum.Enum):
    MISSING = "credentials_missing"
    NO_SCHEME = "credentials_missing_scheme"  # a raw key without "Bearer "
    IN_URL = "credentials_in_url"
    MULTIPLE = "multiple_credentials"
    EMPTY = "empty_bearer"


class Extracted(NamedTuple):  # one per request: cheaper to build than a frozen dataclass
    value: str | None
    problem: Problem | None
    session_id: str | None = None  # Mcp-Session-Id, read with the key in the same statement


def extract(scope: Any) -> Extracted:
    """The bearer value, or the problem with the request's credentials; and the session id."""
    found: list[bytes] = []
    session: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            found.append(value)
        elif name == b"mcp-session-id":
            session = value
    session_id = None if session is None else (session.decode("latin-1").strip() or None)
    query: bytes = scope.get("query_string", b"")
    if query and _has_query_credential(query):
        return Extracted(None, Problem.IN_URL, session_id)
    if not found:
        return Extracted(None, Problem.MISSING, session_id)
    if len(found) > 1:
        return Extracted(None, Problem.MULTIPLE, session_id)
    return _parse_authorization(found[0].decode("latin-1"), session_id)


def _parse_authorization(header: str, session_id: str | None) -> Extracted:
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        if scheme.startswith("tk_") and not rest:
            return Extracted(None, Problem.NO_SCHEME, session_id)
        return Extracted(None, Problem.MISSING, session_id)  # another scheme: no credential
    value = rest.strip()
    if not value:
        return Extracted(None, Problem.EMPTY, session_id)
    if " " in value or "," in value:
        return Extracted(None, Problem.MULTIPLE, session_id)
    return Extracted(value, None, session_id)


def _has_query_credential(query: bytes) -> bool:
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return any(name.lower() in QUERY_CREDENTIALS for name, _ in pairs)


def strip_authorization(scope: Any) -> None:
    """Remove the credential so nothing downstream (engine, tool code) can see it."""
    scope["headers"] = [(n, v) for n, v in scope["headers"] if n != b"authorization"]
