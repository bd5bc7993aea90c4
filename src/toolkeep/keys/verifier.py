"""Verify a presented API key for a server: the check on every MCP request.

Cost model: a malformed value (regex/CRC) is refused before any database work; otherwise
exactly one indexed read fetches the server and the key row together. Unknown kid, wrong
secret and another server's key give the same verdict after the same HMAC work.
Revoked and expired are reported only after the secret has been proved.
"""

from __future__ import annotations

import enum
import functools
import uuid
from dataclasses import dataclass
from datetime import datetime

from toolkeep.clock import Clock
from toolkeep.crypto import tokens
from toolkeep.crypto.peppers import Peppers
from toolkeep.keys.models import KEY_PREFIX
from toolkeep.keys.repository import KeyCredentials, lookup_server_and_key
from toolkeep.servers.models import Server
from toolkeep.store.database import Database


class Outcome(enum.Enum):
    VALID = "valid"
    MALFORMED = "key_malformed"
    INVALID = "key_invalid"
    REVOKED = "key_revoked"
    EXPIRED = "key_expired"


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    kid: str | None = None
    at: datetime | None = None  # when it was revoked / expired
    reason: str | None = None  # revoke reason category


MALFORMED = Verdict(Outcome.MALFORMED)
INVALID = Verdict(Outcome.INVALID)


def parse_key(presented: str) -> tokens.Token | None:
    return tokens.parse(KEY_PREFIX, presented)


def judge(
    peppers: Peppers,
    server_id: uuid.UUID,
    token: tokens.Token,
    creds: KeyCredentials | None,
    now: datetime,
) -> Verdict:
    """The verdict for a well-formed token, given the key row read with the server."""
    if creds is None:
        peppers.burn(token.kid, token.secret)
        return INVALID
    if not peppers.verify(creds.pepper_version, token.kid, token.secret, creds.digest):
        return INVALID
    if creds.server_id.int != server_id.int:  # .int: UUID.__eq__ is a Python call
        return INVALID
    if creds.revoked_at is not None:
        return Verdict(Outcome.REVOKED, token.kid, creds.revoked_at, creds.revoke_reason)
    if creds.expires_at is not None and creds.expires_at <= now:
        return Verdict(Outcome.EXPIRED, token.kid, creds.expires_at)
    return _valid(token.kid)


@functools.lru_cache(maxsize=4096)
def _valid(kid: str) -> Verdict:
    """The VALID verdict of a kid: an immutable value, so built once (it is on every request)."""
    return Verdict(Outcome.VALID, kid)


class KeyVerifier:
    def __init__(self, db: Database, peppers: Peppers, clock: Clock) -> None:
        self.db = db
        self.peppers = peppers
        self.clock = clock

    def verify(self, subdomain: str, presented: str) -> tuple[Server | None, Verdict]:
        token = parse_key(presented)
        if token is None:
            return None, MALFORMED
        with self.db.lookup() as conn:
            server, creds = lookup_server_and_key(conn, subdomain, token.kid)
        if server is None:
            self.peppers.burn(token.kid, token.secret)
            return None, INVALID
        return server, judge(self.peppers, server.id, token, creds, self.clock())
