"""AES-256-GCM sealing of values at rest (secrets, unlisted URL secrets).

Sealed layout: ``0x01 | nonce (12 bytes) | ciphertext+tag``. The associated data
binds a value to where it belongs (e.g. the server id and secret name), so a sealed
value copied into another row does not open.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from toolkeep.errors import ConfigurationError, ToolkeepError

_VERSION = b"\x01"
KEY_BYTES = 32


class SealBroken(ToolkeepError):
    code = "sealed_value_unreadable"
    status = 500


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigurationError("The encryption key must be exactly 32 bytes.")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, context: str) -> bytes:
        nonce = secrets.token_bytes(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def open(self, sealed: bytes, context: str) -> str:
        if sealed[:1] != _VERSION or len(sealed) < 1 + 12 + 16:
            raise SealBroken("A stored value has an unknown format.")
        try:
            plain = self._aead.decrypt(sealed[1:13], sealed[13:], context.encode())
        except InvalidTag:
            raise SealBroken(
                "A stored value cannot be decrypted (wrong encryption key?)."
            ) from None
        return plain.decode()

    @classmethod
    def parse(cls, text: str) -> Sealer:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        try:
            key = base64.b64decode(lines[-1], validate=True) if lines else b""
        except ValueError:
            key = b""
        if len(key) != KEY_BYTES:
            raise ConfigurationError("The encryption key file must hold 32 bytes in base64.")
        return cls(key)

    @staticmethod
    def generate_text() -> str:
        encoded = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
        return f"# Toolkeep AES-256-GCM key for secrets at rest. Keep secret.\n{encoded}\n"
