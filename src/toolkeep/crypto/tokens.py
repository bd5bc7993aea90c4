"""Opaque bearer tokens: ``<prefix>_<kid:16>_<secret:43><crc32:6>``, all base62.

The kid is public and is the primary key of the row; the secret carries 256 bits;
the CRC32 (IEEE) of everything before it lets a malformed or truncated token be
rejected without touching the database, and lets secret scanners confirm a leak.
"""

from __future__ import annotations

import functools
import re
import secrets
import zlib
from dataclasses import dataclass

from toolkeep.crypto import base62

KID_LEN = 16
SECRET_LEN = 43
CRC_LEN = 6


@dataclass(frozen=True, slots=True)
class Token:
    """A parsed or freshly minted token. ``repr`` never shows the secret."""

    prefix: str
    kid: str
    secret: str

    @property
    def plaintext(self) -> str:
        body = f"{self.prefix}_{self.kid}_{self.secret}"
        return body + base62.encode(zlib.crc32(body.encode()), CRC_LEN)

    @property
    def last4(self) -> str:
        return self.secret[-4:]

    def __repr__(self) -> str:
        return f"Token(prefix={self.prefix!r}, kid={self.kid!r}, secret=<hidden>)"


def mint(prefix: str) -> Token:
    kid = base62.encode(secrets.randbits(95), KID_LEN)
    secret = base62.encode(int.from_bytes(secrets.token_bytes(32), "big"), SECRET_LEN)
    return Token(prefix=prefix, kid=kid, secret=secret)


def parse(prefix: str, value: str) -> Token | None:
    """The token if ``value`` is well formed with a valid checksum, else ``None``."""
    head = prefix + "_"
    expected = len(head) + KID_LEN + 1 + SECRET_LEN + CRC_LEN
    if len(value) != expected or not value.startswith(head):
        return None
    kid_end = len(head) + KID_LEN
    if value[kid_end] != "_":
        return None
    kid = value[len(head) : kid_end]
    tail = value[kid_end + 1 :]
    if not (base62.is_base62(kid) and base62.is_base62(tail)):
        return None
    body, crc = value[:-CRC_LEN], tail[SECRET_LEN:]
    if base62.decode(crc) != zlib.crc32(body.encode()):
        return None
    return Token(prefix=prefix, kid=kid, secret=tail[:SECRET_LEN])


def mask(prefix: str, kid: str, last4: str) -> str:
    return f"{prefix}_{kid}_…{last4}"
