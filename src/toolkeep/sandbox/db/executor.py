"""``execute``: one ``sdk.db`` call, from the tool's request to a capped, JSON-safe result.

Order of checks (each failure is a :class:`DbError` before anything later happens): the
type, the SQL and the bindings, the connection string, the placeholders against the
bindings, then one DNS resolution whose every answer must be allowed (the
:mod:`toolkeep.sandbox.http.addresses` rules of ``sdk.http``: loopback, private,
link-local, metadata, ... refused unless inside the policy's ``allow_networks``), and only
then a connection, to exactly those addresses.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import anyio

from toolkeep.sandbox.db import mysql, postgres
from toolkeep.sandbox.db.errors import DbError, DbErrorCode
from toolkeep.sandbox.db.model import DbRequest, DbResult, Scalar
from toolkeep.sandbox.db.placeholders import check_count, translate
from toolkeep.sandbox.db.policy import DbPolicy
from toolkeep.sandbox.db.target import Target, dialect_of, parse_connection
from toolkeep.sandbox.http.addresses import IPAddress, resolve_checked
from toolkeep.sandbox.http.errors import HttpError, HttpErrorCode

log = logging.getLogger("toolkeep.sandbox.db")

REDACTED = "[redacted]"
MIN_REDACTED_PASSWORD = 4  # shorter passwords would blank out ordinary words


async def execute(request: DbRequest, policy: DbPolicy) -> DbResult:
    """Run one ``sdk.db`` statement under ``policy``; raises :class:`DbError`, nothing else
    (apart from cancellation by the caller, which propagates)."""
    try:
        return await _execute(request, policy)
    except DbError as exc:
        raise _redacted(exc, request) from None
    except Exception:
        log.exception("sdk.db failed unexpectedly")
        raise DbError(DbErrorCode.QUERY_FAILED, "The database call failed unexpectedly") from None


async def _execute(request: DbRequest, policy: DbPolicy) -> DbResult:
    dialect = dialect_of(request.type)
    bindings = _check_bindings(request.bindings, policy)
    _check_sql(request.sql, policy)
    target = parse_connection(dialect, request.connection)
    translated = translate(request.sql, dialect, for_binding=bool(bindings))
    check_count(translated, len(bindings))
    connect_deadline = time.monotonic() + policy.connect_timeout_s
    addresses = await _resolve(target, policy, connect_deadline)
    if dialect == "postgres":
        return await postgres.run(
            target, addresses, translated.sql, bindings, policy, connect_deadline
        )
    # MySQL translates again once connected: the session's sql_mode decides on backslashes
    return await mysql.run(target, addresses, request.sql, bindings, policy, connect_deadline)


async def _resolve(target: Target, policy: DbPolicy, deadline: float) -> list[IPAddress]:
    try:
        with anyio.fail_after(max(0.0, deadline - time.monotonic())):
            return await resolve_checked(
                target.host, allow_networks=policy.allow_networks, resolver=policy.resolver
            )
    except TimeoutError:
        raise DbError(
            DbErrorCode.CONNECT_FAILED,
            f"Could not resolve host '{target.host}' within {policy.connect_timeout_s:g} s",
        ) from None
    except HttpError as exc:
        code = {
            HttpErrorCode.ADDRESS_BLOCKED: DbErrorCode.ADDRESS_BLOCKED,
            HttpErrorCode.URL_INVALID: DbErrorCode.CONNECTION_INVALID,
        }.get(exc.code, DbErrorCode.CONNECT_FAILED)
        raise DbError(code, exc.message) from None


def _check_sql(sql: object, policy: DbPolicy) -> None:
    if not isinstance(sql, str) or not sql.strip():
        raise DbError(DbErrorCode.QUERY_INVALID, "sql must be a non-empty string")
    if len(sql) > policy.max_sql_chars:
        raise DbError(
            DbErrorCode.QUERY_INVALID, f"The SQL is longer than {policy.max_sql_chars} characters"
        )
    _check_text(sql, "The SQL")


def _check_text(text: str, what: str) -> None:
    if "\x00" in text:  # libpq would cut the text there, silently
        raise DbError(DbErrorCode.QUERY_INVALID, f"{what} contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise DbError(
            DbErrorCode.QUERY_INVALID, f"{what} is not valid Unicode (a lone surrogate)"
        ) from None


def _check_bindings(bindings: object, policy: DbPolicy) -> list[Scalar]:
    if bindings is None:
        return []
    if not isinstance(bindings, (list, tuple)):
        raise DbError(DbErrorCode.QUERY_INVALID, "bindings must be an array")
    if len(bindings) > policy.max_bindings:
        raise DbError(
            DbErrorCode.QUERY_INVALID, f"At most {policy.max_bindings} bindings are allowed"
        )
    chars = 0
    for index, value in enumerate(bindings, start=1):
        if isinstance(value, str):
            chars += len(value)
            _check_text(value, f"Binding {index}")
        elif isinstance(value, float) and not math.isfinite(value):
            raise DbError(DbErrorCode.QUERY_INVALID, f"Binding {index} is not a finite number")
        elif value is not None and not isinstance(value, (bool, int, float)):
            raise DbError(
                DbErrorCode.QUERY_INVALID,
                f"Binding {index} must be a string, number, boolean or null "
                "(JSON.stringify objects and arrays yourself)",
            )
    if chars > policy.max_binding_chars:
        raise DbError(
            DbErrorCode.QUERY_INVALID,
            f"The bindings hold more than {policy.max_binding_chars} characters of text",
        )
    return list(bindings)


def _redacted(exc: DbError, request: DbRequest) -> DbError:
    """A last line of defence: no message ever carries the connection string or password."""
    secrets = [request.connection] if isinstance(request.connection, str) else []
    try:
        password = parse_connection(dialect_of(request.type), request.connection).password
    except DbError:
        password = ""
    if len(password) >= MIN_REDACTED_PASSWORD:
        secrets += [password, quote(password, safe="")]
    message = exc.message
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in message:
            message = message.replace(secret, REDACTED)
    if message == exc.message:
        return exc
    return DbError(exc.code, message, db_code=exc.db_code)


def request_from_payload(payload: object) -> DbRequest:
    """The host-call payload a worker sent (``{type, connection, sql, bindings}``), checked
    for shape only; :func:`execute` checks the rest. The worker is not trusted."""
    if not isinstance(payload, Mapping):
        raise DbError(DbErrorCode.REQUEST_INVALID, "The request must be an object")
    db_type, connection, sql = (payload.get(key) for key in ("type", "connection", "sql"))
    bindings = payload.get("bindings")
    if not isinstance(db_type, str):
        raise DbError(DbErrorCode.DB_TYPE_INVALID, "type must be 'postgres' or 'mysql'")
    if not isinstance(connection, str):
        raise DbError(DbErrorCode.CONNECTION_INVALID, "connection must be a string")
    if not isinstance(sql, str):
        raise DbError(DbErrorCode.QUERY_INVALID, "sql must be a string")
    if bindings is not None and not isinstance(bindings, list):
        raise DbError(DbErrorCode.QUERY_INVALID, "bindings must be an array")
    return DbRequest(type=db_type, connection=connection, sql=sql, bindings=bindings or [])


async def db_outcome(payload: object, policy: DbPolicy) -> dict[str, Any]:
    """A host call's answer for the glue: ``{"ok": result}`` or ``{"error": {code, message}}``
    (the shape ``toolkeep.sandbox.pool.hostcalls`` uses for ``sdk.http``)."""
    try:
        result = await execute(request_from_payload(payload), policy)
    except DbError as exc:
        return {"error": exc.to_dict()}
    return {"ok": result.to_dict()}
