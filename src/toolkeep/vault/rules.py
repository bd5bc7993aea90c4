"""Validation of secret names and values, and the per-server secret cap."""

from __future__ import annotations

import re

from toolkeep.vault.errors import InvalidSecretName, InvalidSecretValue, SecretLimitReached
from toolkeep.vault.models import MAX_NAME, MAX_SECRETS, MAX_VALUE_BYTES

NAME_RE = re.compile(rf"[A-Z_][A-Z0-9_]{{0,{MAX_NAME - 1}}}")


def check_name(name: object) -> str:
    """Environment-variable style, so tool code reads it as ``env.NAME``.

    Uppercase only also keeps every name clear of JavaScript's own object properties
    (``constructor``, ``__proto__``, ``toString``). The name is not echoed back: a value
    pasted into the wrong field would otherwise end up in a response.
    """
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise InvalidSecretName(
            f"A secret name is 1-{MAX_NAME} characters of uppercase letters, digits and "
            "underscores, not starting with a digit, like an environment variable "
            "(e.g. API_TOKEN); tool code reads it as env.API_TOKEN.",
            field="name",
        )
    return name


def check_value(value: object) -> str:
    """Kept exactly as given (no trimming: a secret is compared byte for byte elsewhere)."""
    if not isinstance(value, str):
        raise InvalidSecretValue("A secret value must be text.", field="value")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidSecretValue(
            "A secret value must be valid Unicode text (it has a lone surrogate).", field="value"
        ) from None
    if size == 0:
        raise InvalidSecretValue(
            "A secret value cannot be empty; delete the secret instead.", field="value"
        )
    if size > MAX_VALUE_BYTES:
        raise InvalidSecretValue(
            f"A secret value is at most {MAX_VALUE_BYTES} bytes (64 KiB) of UTF-8; "
            f"this one is {size} bytes.",
            field="value",
        )
    return value


def check_room(count: int) -> None:
    if count >= MAX_SECRETS:
        raise SecretLimitReached(
            f"This server already has {MAX_SECRETS} secrets, the maximum. "
            "Delete one before adding another."
        )
