from __future__ import annotations

from toolkeep.errors import Conflict, InvalidInput, NotFound, Unauthenticated


class UserNotFound(NotFound):
    code = "user_not_found"

    def __init__(self, email: str) -> None:
        super().__init__(f"No user with email '{email}'.")


class EmailTaken(Conflict):
    code = "email_taken"


class InvalidAccountField(InvalidInput):
    code = "invalid_account_field"


class TokenMissing(Unauthenticated):
    code = "token_missing"

    def __init__(self) -> None:
        super().__init__(
            "This API needs a personal access token: 'Authorization: Bearer tkpat_...'. "
            "Create one with `toolkeep tokens create`."
        )


class TokenInvalid(Unauthenticated):
    code = "token_invalid"

    def __init__(self) -> None:
        super().__init__("The personal access token is not valid (malformed, unknown or revoked).")


class TokenNotFound(NotFound):
    code = "token_not_found"
