from __future__ import annotations

from toolkeep.crypto.sealing import SealBroken
from toolkeep.errors import Conflict, InvalidInput, NotFound


class SecretNotFound(NotFound):
    code = "secret_not_found"

    def __init__(self, name: str) -> None:
        super().__init__(f"No secret '{name}' on this server.")


class InvalidSecretName(InvalidInput):
    code = "invalid_secret_name"


class InvalidSecretValue(InvalidInput):
    code = "invalid_secret_value"


class SecretLimitReached(Conflict):
    code = "secret_limit_reached"


class SecretUnreadable(SealBroken):
    """A stored secret does not open: another encryption key, or a value moved between rows."""

    code = "secret_unreadable"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"The secret '{name}' of this server cannot be decrypted: the encryption key is "
            "not the one it was saved with, or the stored value was copied from another "
            "server or name. Set the secret again.",
            name=name,
        )
