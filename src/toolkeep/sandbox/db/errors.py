"""The one error type of ``sdk.db``: a stable code and a short message for the tool author."""

from __future__ import annotations

from enum import StrEnum


class DbErrorCode(StrEnum):
    """Stable codes, part of the contract with tool code (``err.code`` in JavaScript)."""

    REQUEST_INVALID = "request_invalid"  # the host-call payload is not {type, connection, sql, ...}
    DB_TYPE_INVALID = "db_type_invalid"  # not postgres / mysql
    CONNECTION_INVALID = "connection_invalid"  # the connection string cannot be used
    QUERY_INVALID = "query_invalid"  # SQL or bindings refused before reaching the database
    ADDRESS_BLOCKED = "address_blocked"  # the host is internal and not allowed by an admin
    CONNECT_FAILED = "connect_failed"  # DNS, refused, unreachable, TLS, unknown database
    AUTH_FAILED = "auth_failed"  # the database refused the user or password
    QUERY_FAILED = "query_failed"  # the database rejected the statement (its own message)
    TIMEOUT = "timeout"
    RESULT_TOO_LARGE = "result_too_large"
    TOO_MANY_QUERIES = "too_many_queries"  # over the per-tool-call cap of the sandbox
    UNAVAILABLE = "unavailable"  # no host runs queries here (the in-process runner)


class DbError(Exception):
    """An ``sdk.db`` call that did not produce a result.

    ``message`` is written for the tool author (and the model reading the tool's error):
    short, actionable, never the connection string, the password or a resolved internal
    address. ``db_code`` is the database's own error code when it produced the error
    (a PostgreSQL SQLSTATE such as ``23505``, a MySQL error number such as ``1062``).
    """

    def __init__(self, code: DbErrorCode, message: str, *, db_code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.db_code = db_code

    def to_dict(self) -> dict[str, str]:
        out = {"code": self.code.value, "message": self.message}
        if self.db_code is not None:
            out["db_code"] = self.db_code
        return out

    def __repr__(self) -> str:
        return f"DbError({self.code.value!r}, {self.message!r})"
