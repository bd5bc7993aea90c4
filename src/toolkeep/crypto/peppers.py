"""Versioned HMAC peppers: the server-side secret that keys every token digest.

File format, one version per line: ``<version>:<base64 of 32 bytes>``; the highest
version is the one new tokens use. Old versions stay so existing tokens still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from toolkeep.errors import ConfigurationError

PEPPER_BYTES = 32


class Peppers:
    def __init__(self, versions: dict[int, bytes]) -> None:
        if not versions:
            raise ConfigurationError("The pepper file holds no pepper.")
        self._versions = {version: HmacSha256(pepper) for version, pepper in versions.items()}
        self.current = max(versions)
        # Used for unknown kids so the response costs the same as a real check.
        self._dummy = secrets.token_bytes(PEPPER_BYTES)
        self._dummy_hmac = HmacSha256(self._dummy)

    def digest(self, version: int, kid: str, secret: str) -> bytes:
        keyed = self._versions.get(version)
        if keyed is None:
            raise ConfigurationError(f"Pepper version {version} is not loaded.")
        return keyed.digest(f"{kid}\x00{secret}".encode())

    def verify(self, version: int, kid: str, secret: str, expected: bytes) -> bool:
        return hmac.compare_digest(self.digest(version, kid, secret), expected)

    def burn(self, kid: str, secret: str) -> None:
        """Spend the time of one digest, for a kid that does not exist."""
        hmac.compare_digest(self._dummy_hmac.digest(f"{kid}\x00{secret}".encode()), self._dummy)

    @classmethod
    def parse(cls, text: str) -> Peppers:
        versions: dict[int, bytes] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            version, sep, encoded = line.partition(":")
            try:
                if not sep:
                    raise ValueError
                raw = base64.b64decode(encoded, validate=True)
                versions[int(version)] = raw
            except ValueError:
                raise ConfigurationError(
                    f"Pepper file line {number} is not '<version>:<base64>'."
                ) from None
            if len(raw) < PEPPER_BYTES:
                raise ConfigurationError(f"Pepper version {version} is shorter than 32 bytes.")
        return cls(versions)

    @staticmethod
    def generate_text() -> str:
        encoded = base64.b64encode(secrets.token_bytes(PEPPER_BYTES)).decode()
        return f"# Toolkeep token pepper. Keep secret; never store in the database.\n1:{encoded}\n"


class HmacSha256:
    """HMAC-SHA256 (RFC 2104) under one key, its padded-key hash states computed once:
    a digest is then two ``copy`` + ``update`` calls, 0.6 us against 1.7 us for
    ``hmac.digest`` (OpenSSL 3 sets up its MAC afresh on every call)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._outer = hashlib.sha256(key.translate(_OPAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


_BLOCK = 64  # SHA-256's block size
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))
