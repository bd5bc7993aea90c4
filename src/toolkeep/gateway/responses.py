"""The edge's own answers (RFC 6750 challenges, 404s, 503), as raw ASGI messages.

Bodies: ``error`` (OAuth-style where one applies), ``error_code`` (stable),
``error_description`` (what to do), ``request_id``; always ``Cache-Control: no-store``.
"""

from __future__ import annotations

import functools
import itertools
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from toolkeep.gateway.credentials import Problem
from toolkeep.keys.verifier import Outcome, Verdict
from toolkeep.mcp.asgi import Message, Send

DOCS: Final = "https://toolkeep.dev/docs/api-keys"
_BASE_HEADERS: Final = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]

_PROBLEMS: Final[dict[Problem, tuple[int, str | None, str]]] = {
    Problem.MISSING: (
        401,
        None,
        "This MCP server is locked with an API key. Send it as 'Authorization: Bearer tk_...'.",
    ),
    Problem.NO_SCHEME: (
        401,
        None,
        "Missing 'Bearer ' before the key: send 'Authorization: Bearer tk_...'.",
    ),
    Problem.IN_URL: (
        400,
        "invalid_request",
        "API keys must not be sent in the URL (URLs are logged). Use the Authorization "
        "header, and roll this key if it was real.",
    ),
    Problem.MULTIPLE: (
        400,
        "invalid_request",
        "Send exactly one credential, in one Authorization header.",
    ),
    Problem.EMPTY: (
        400,
        "invalid_request",
        "The Authorization header says Bearer but carries no key.",
    ),
}

_OUTCOMES: Final[dict[Outcome, tuple[str, str]]] = {
    Outcome.MALFORMED: (
        "Malformed API key",
        "The bearer value is not a well-formed API key (expected 'tk_' + 65 characters with "
        "a valid checksum). It may be truncated or contain extra characters.",
    ),
    Outcome.INVALID: ("Invalid API key", "This API key is not valid for this server."),
    Outcome.REVOKED: (
        "API key revoked",
        "This API key was revoked on {at}. Ask the server owner for a new key.",
    ),
    Outcome.EXPIRED: ("API key expired", "This API key expired at {at}."),
}


_PROCESS = secrets.token_hex(4)
_SEQUENCE = itertools.count(1)


def new_request_id() -> str:
    """Unique per request: a random per-process prefix and a counter (cheaper than urandom).

    Request ids only correlate an answer with logs; they grant nothing, so a counter is fine.
    """
    return f"req_{_PROCESS}{next(_SEQUENCE):08x}"


def new_request_id_bytes() -> bytes:
    """``new_request_id()`` as the bytes that go on the wire."""
    return new_request_id().encode("ascii")


def _iso(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else ""


_MARK = "\u0000request-id\u0000"


Answer = tuple[Message, Message]  # the start and body messages of one response


@dataclass(frozen=True, slots=True)
class Prepared:
    """A response rendered once; only the request id differs between sends."""

    status: int
    head: bytes
    tail: bytes
    headers: tuple[tuple[bytes, bytes], ...]

    def messages(self, rid: bytes) -> Answer:
        """The ``http.response.start`` and ``http.response.body`` messages for ``rid``."""
        payload = self.head + rid + self.tail
        headers = [*self.headers, (b"request-id", rid), (b"content-length", b"%d" % len(payload))]
        start = {"type": "http.response.start", "status": self.status, "headers": headers}
        return start, {"type": "http.response.body", "body": payload}

    async def send(self, send: Send, rid: str) -> None:
        start, body = self.messages(rid.encode())
        await send(start)
        await send(body)


def _prepare(status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> Prepared:
    body["request_id"] = _MARK
    head, _, tail = json.dumps(body, separators=(",", ":")).partition(json.dumps(_MARK)[1:-1])
    return Prepared(status, head.encode(), tail.encode(), (*_BASE_HEADERS, *headers))


def _challenge(realm: str, error: str | None = None, description: str | None = None) -> bytes:
    parts = [f'Bearer realm="{realm}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    return ", ".join(parts).encode()


@functools.lru_cache(maxsize=4096)
def prepared_problem(realm: str, problem: Problem) -> Prepared:
    status, error, description = _PROBLEMS[problem]
    code = "credentials_missing" if problem is Problem.NO_SCHEME else problem.value
    body: dict[str, Any] = {"error": error or "unauthorized", "error_code": code}
    body.update(error_description=description, docs_url=DOCS)
    header_text = "Send the API key only in the Authorization header" if error else None
    return _prepare(status, body, [(b"www-authenticate", _challenge(realm, error, header_text))])


def _rejection(realm: str, verdict: Verdict) -> Prepared:
    short, long = _OUTCOMES[verdict.outcome]
    at = _iso(verdict.at)
    body: dict[str, Any] = {"error": "invalid_token", "error_code": verdict.outcome.value}
    body["error_description"] = long.format(at=at)
    if verdict.outcome is Outcome.REVOKED:
        body.update(key_id=verdict.kid, revoked_at=at, revoke_reason=verdict.reason)
    elif verdict.outcome is Outcome.EXPIRED:
        body.update(key_id=verdict.kid, expired_at=at)
    body.update(docs_url=DOCS)
    challenge = _challenge(realm, "invalid_token", short)
    return _prepare(401, body, [(b"www-authenticate", challenge)])


_plain_rejection = functools.lru_cache(maxsize=4096)(_rejection)


def rejection(realm: str, verdict: Verdict, rid: str) -> Answer:
    """Malformed and invalid are the same bytes every time (and for every such key)."""
    plain = verdict.kid is None
    prepared = _plain_rejection(realm, verdict) if plain else _rejection(realm, verdict)
    return prepared.messages(rid.encode())


UNAVAILABLE = _prepare(
    503,
    {
        "error": "temporarily_unavailable",
        "error_code": "auth_unavailable",
        "error_description": "Authentication is temporarily unavailable; your key was not "
        "rejected. Retry shortly.",
    },
    [(b"retry-after", b"5")],
)


SERVER_NOT_FOUND = _prepare(
    404,
    {
        "error": "not_found",
        "error_code": "server_not_found",
        "error_description": "No MCP server at this address. Check the URL you were given.",
    },
    [],
)


OAUTH_NOT_ENABLED = _prepare(
    404,
    {
        "error": "not_found",
        "error_code": "oauth_not_enabled",
        "error_description": "This MCP server does not use OAuth. Authenticate with an API "
        "key: 'Authorization: Bearer tk_...'.",
        "docs_url": DOCS,
    },
    [],
)


async def send_oauth_not_enabled(send: Send, rid: str) -> None:
    await OAUTH_NOT_ENABLED.send(send, rid)


HOST_NOT_ALLOWED = _prepare(
    421,
    {
        "error": "misdirected_request",
        "error_code": "host_not_allowed",
        "error_description": "This Host is not served here (DNS-rebinding protection). "
        "Use the server's configured address, or add the name to TOOLKEEP_ALLOWED_HOSTS.",
    },
    [],
)


async def send_host_not_allowed(send: Send, rid: str) -> None:
    await HOST_NOT_ALLOWED.send(send, rid)
