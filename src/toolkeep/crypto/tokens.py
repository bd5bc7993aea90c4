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


@functools.cache
def _pattern(prefix: str) -> re.Pattern[str]:
    b62 = "[0-9A-Za-z]"
    kid, secret, crc = f"{b62}{{{KID_LEN}}}", f"{b62}{{{SECRET_LEN}}}", f"{b62}{{{CRC_LEN}}}"
    return re.compile(f"{re.escape(prefix)}_({kid})_({secret})({crc})")


_DIGIT = {char: i for i, char in enumerate(base62.ALPHABET)}


def parse(prefix: str, value: str) -> Token | None:
    """The token if ``value`` is well formed with a valid checksum, else ``None``."""
    match = _pattern(prefix).fullmatch(value)
    if match is None:
        return None
    kid, secret, crc = match.groups()
    d = _DIGIT  # base62.decode of the six CRC digits, unrolled (this runs on every request)
    value62 = ((d[crc[0]] * 62 + d[crc[1]]) * 62 + d[crc[2]]) * 62 + d[crc[3]]
    if (value62 * 62 + d[crc[4]]) * 62 + d[crc[5]] != zlib.crc32(value[:-CRC_LEN].encode()):
        return None
    return Token(prefix=prefix, kid=kid, secret=secret)


def mask(prefix: str, kid: str, last4: str) -> str:
    return f"{prefix}_{kid}_…{last4}"
