from __future__ import annotations

from toolkeep.errors import Conflict, InvalidInput, NotFound


class KeyNotFound(NotFound):
    code = "key_not_found"

    def __init__(self, kid: str) -> None:
        super().__init__(f"No API key '{kid}' on this server.")


class InvalidLabel(InvalidInput):
    code = "invalid_label"


class LabelTaken(Conflict):
    code = "label_taken"

    def __init__(self, label: str) -> None:
        super().__init__(
            f"An active key on this server is already labelled '{label}'. "
            "Choose another label or revoke that key first.",
            field="label",
        )


class KeyLimitReached(Conflict):
    code = "key_limit_reached"


class InvalidGrace(InvalidInput):
    code = "invalid_grace"


class InvalidExpiry(InvalidInput):
    code = "invalid_expiry"


class InvalidReason(InvalidInput):
    code = "invalid_reason"


class KeyNotActive(Conflict):
    code = "key_not_active"
