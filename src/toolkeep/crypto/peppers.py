"""Versioned HMAC peppers: the server-side secret that keys every token digest.

File format, one version per line: ``<version>:<base64 of 32 bytes>``; the highest
version is the one new tokens use. Old versions stay so existing tokens still verify.
"""

from __future__ import annotations

import base64
import hmac
import secrets

from toolkeep.errors import ConfigurationError

PEPPER_BYTES = 32


class Peppers:
    def __init__(self, versions: dict[int, bytes]) -> None:
        if not versions:
            raise ConfigurationError("The pepper file holds no pepper.")
        self._versions = dict(versions)
        self.current = max(versions)
        # Used for unknown kids so the response costs the same as a real check.
        self._dummy = secrets.token_bytes(PEPPER_BYTES)

    def digest(self, version: int, kid: str, secret: str) -> bytes:
        pepper = self._versions.get(version)
        if pepper is None:
            raise ConfigurationError(f"Pepper version {version} is not loaded.")
        return _hmac(pepper, kid, secret)

    def verify(self, version: int, kid: str, secret: str, expected: bytes) -> bool:
        return hmac.compare_digest(self.digest(version, kid, secret), expected)

    def burn(self, kid: str, secret: str) -> None:
        """Spend the time of one digest, for a kid that does not exist."""
        hmac.compare_digest(_hmac(self._dummy, kid, secret), self._dummy)

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


def _hmac(pepper: bytes, kid: str, secret: str) -> bytes:
    return hmac.digest(pepper, f"{kid}\x00{secret}".encode(), "sha256")  # one-shot, in C
