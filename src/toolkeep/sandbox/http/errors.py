"""The one error type of ``sdk.http``: a stable code and a short message for the tool author."""

from __future__ import annotations

from enum import StrEnum


class HttpErrorCode(StrEnum):
    """Stable codes, part of the contract with tool code (``err.code`` in JavaScript)."""

    URL_INVALID = "url_invalid"
    SCHEME_NOT_ALLOWED = "scheme_not_allowed"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    REQUEST_INVALID = "request_invalid"  # a header name/value or the body cannot be sent
    ADDRESS_BLOCKED = "address_blocked"
    DNS_FAILED = "dns_failed"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TIMEOUT = "timeout"
    RESPONSE_TOO_LARGE = "response_too_large"
    CONNECT_FAILED = "connect_failed"  # refused, unreachable, or the connection dropped
    TLS_FAILED = "tls_failed"
    PROTOCOL_ERROR = "protocol_error"  # the server's answer is not valid HTTP (or its encoding)
    REQUEST_FAILED = "request_failed"  # anything unexpected; details only in the server log


class HttpError(Exception):
    """An ``sdk.http`` call that did not produce a response.

    ``message`` is written for the tool author (and the model reading the tool's error):
    short, actionable, no traceback, no resolved address of an internal host.
    """

    def __init__(self, code: HttpErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}

    def __repr__(self) -> str:
        return f"HttpError({self.code.value!r}, {self.message!r})"
