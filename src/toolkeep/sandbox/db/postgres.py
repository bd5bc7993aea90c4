"""PostgreSQL through psycopg 3 (async, no thread): connect to the checked address, run one
statement with server-side binding, stream its rows under the caps.

Connecting: every libpq option that matters is set explicitly, so nothing comes from the
parent's environment (``PGPASSWORD``, ``PGSERVICE``, ``PGSSLMODE``, ...) or its home
directory (``~/.pgpass``, ``~/.postgresql/postgresql.key``): ``passfile``, ``sslcert``,
``sslkey``, ``sslcrl`` point at a file that does not exist, client certificates are off,
GSSAPI/SSPI are refused (the parent's Kerberos tickets are never offered to a tool's
server). ``host`` is the name the tool wrote (TLS SNI and ``verify-full`` use it),
``hostaddr`` the checked addresses, so libpq neither resolves nor uses a Unix socket.
``verify-ca``/``verify-full`` trust certifi's public CAs, like ``sdk.http``.

Running: the statement goes through the extended protocol (one statement per call; the
values as text parameters of unknown type, which PostgreSQL types from context, as
node-postgres does). Rows are streamed in chunks (single rows before libpq 17), so a huge
result never sits in memory whole; reading stops at ``max_rows + 1`` rows or
``max_result_bytes`` and the query is cancelled. ``statement_timeout`` is a startup option
(the server stops the query); the parent gives up a second later on its own.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence
from functools import cache
from typing import Any, Final

import anyio
import certifi
import psycopg
from psycopg import adapt, pq
from psycopg.conninfo import make_conninfo
from psycopg.types import datetime as pg_datetime
from psycopg.types.string import TextLoader

from toolkeep.sandbox.db.errors import DbError, DbErrorCode
from toolkeep.sandbox.db.model import DbResult, ResultBuilder, Scalar
from toolkeep.sandbox.db.policy import DbPolicy
from toolkeep.sandbox.db.target import Target
from toolkeep.sandbox.http.addresses import IPAddress

log = logging.getLogger("toolkeep.sandbox.db")

NO_FILE: Final = "/nonexistent/toolkeep-sdk-db"  # for libpq file options: never read
GRACE_S: Final = 1.0  # the parent waits this long past the statement timeout
CANCEL_TIMEOUT_S: Final = 1.0
CHUNK_ROWS: Final = 100
Status = pq.ExecStatus
_ROW_STATUSES: Final = (Status.SINGLE_TUPLE, Status.TUPLES_CHUNK)
_COPY_STATUSES: Final = (Status.COPY_IN, Status.COPY_OUT, Status.COPY_BOTH)
_FATAL = re.compile(r"FATAL:\s+(.*)")
_AUTH_HINTS: Final = (
    "password authentication failed",
    "authentication failed",
    "no password supplied",
    "does not exist",  # role "x" does not exist (database "y" does not exist is checked first)
    "no pg_hba.conf entry",
    "not permitted to log in",
    "server requested",  # require_auth refusals: "server requested GSSAPI authentication"
    "scram",
)
_CLIENT_REASONS: Final = (
    ("connection refused", "connection refused"),
    ("timeout expired", "connection timed out"),
    ("timed out", "connection timed out"),
    ("network is unreachable", "network unreachable"),
    ("no route to host", "host unreachable"),
    ("does not support ssl", "the server does not support TLS (sslmode requires it)"),
    ("certificate verify failed", "TLS certificate verification failed"),
    ("server certificate", "TLS certificate verification failed"),
    ("ssl", "TLS handshake failed"),
    ("closed the connection", "the server closed the connection"),
)


@cache
def _libpq_version() -> int:
    return pq.version()


def connection_params(
    target: Target, addresses: Sequence[IPAddress], policy: DbPolicy
) -> dict[str, str]:
    """libpq keywords for one call; nothing is left for the environment to fill in."""
    timeout_ms = max(1, math.ceil(policy.statement_timeout_s * 1000))
    verify = target.sslmode in ("verify-ca", "verify-full")
    params = {
        "host": ",".join([target.host] * len(addresses)),
        "hostaddr": ",".join(str(address) for address in addresses),
        "port": str(target.port),
        "dbname": target.database or target.user,
        "user": target.user,
        "password": target.password,
        "passfile": NO_FILE,
        "connect_timeout": str(max(2, math.ceil(policy.connect_timeout_s))),
        "options": f"-c statement_timeout={timeout_ms}",
        "application_name": "toolkeep-tool",
        "client_encoding": "UTF8",
        "sslmode": target.sslmode,
        "sslrootcert": certifi.where() if verify else NO_FILE,
        "sslcert": NO_FILE,
        "sslkey": NO_FILE,
        "sslcrl": NO_FILE,
        "sslcrldir": NO_FILE,
        "sslsni": "1",
        "ssl_min_protocol_version": "TLSv1.2",
        "gssencmode": "disable",
        "target_session_attrs": "any",
        "keepalives": "1",
    }
    version = _libpq_version()
    if version >= 160000:
        params.update(
            require_auth="!gss,!sspi",
            sslcertmode="disable",
            gssdelegation="0",
            load_balance_hosts="disable",
        )
    if version >= 170000:
        params["sslnegotiation"] = "postgres"
    return params


async def run(
    target: Target,
    addresses: Sequence[IPAddress],
    sql: str,
    bindings: Sequence[Scalar],
    policy: DbPolicy,
    connect_deadline: float,
) -> DbResult:
    conn = await _connect(target, addresses, policy, connect_deadline)
    try:
        with anyio.fail_after(policy.statement_timeout_s + GRACE_S):
            return await _query(conn, sql, bindings, policy)
    except TimeoutError:
        raise DbError(
            DbErrorCode.TIMEOUT,
            f"The query did not finish within {policy.statement_timeout_s:g} s "
            "(the statement timeout)",
        ) from None
    finally:  # cut short (row cap, deadline, the caller cancelled): stop the server's work too
        if conn.pgconn.transaction_status == pq.TransactionStatus.ACTIVE:
            await _cancel(conn)
        await conn.close()


async def _connect(
    target: Target, addresses: Sequence[IPAddress], policy: DbPolicy, deadline: float
) -> psycopg.AsyncConnection[Any]:
    params = connection_params(target, addresses, policy)
    try:
        with anyio.fail_after(max(0.0, deadline - time.monotonic())):
            conn = await psycopg.AsyncConnection.connect(make_conninfo(**params), autocommit=True)
    except TimeoutError:
        raise DbError(
            DbErrorCode.CONNECT_FAILED,
            f"Could not connect to {target.netloc} within {policy.connect_timeout_s:g} s",
        ) from None
    except psycopg.Error as exc:
        raise _connect_error(target, str(exc)) from None
    for name in ("date", "timestamp", "timestamptz", "time", "timetz"):
        conn.adapters.register_loader(name, _LENIENT[name])
    conn.adapters.register_loader("interval", TextLoader)
    return conn


def _connect_error(target: Target, text: str) -> DbError:
    fatal = _FATAL.search(text)
    if fatal is not None:
        message = fatal.group(1).strip()
        lowered = message.lower()
        if "database" in lowered and "does not exist" in lowered:
            return DbError(DbErrorCode.CONNECT_FAILED, message)
        if any(hint in lowered for hint in _AUTH_HINTS):
            return DbError(DbErrorCode.AUTH_FAILED, message)
        return DbError(
            DbErrorCode.CONNECT_FAILED, f"{target.netloc} refused the connection: {message}"
        )
    lowered = text.lower()
    if "no password supplied" in lowered or "server requested" in lowered:
        reason = text.rsplit("failed:", 1)[-1].strip().splitlines()[0]
        return DbError(DbErrorCode.AUTH_FAILED, reason)
    known = next((why for needle, why in _CLIENT_REASONS if needle in lowered), None)
    if known is None:
        log.info("sdk.db: connection to %s failed: %s", target.netloc, text)
    why = known or "connection failed"
    return DbError(DbErrorCode.CONNECT_FAILED, f"Could not connect to {target.netloc}: {why}")


def _dump(value: Scalar) -> bytes | None:
    """A binding as a text parameter of unknown type (PostgreSQL infers it from context)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, float):
        return repr(value).encode("ascii")
    return str(value).encode("utf-8")


async def _next_result(pgconn: pq.abc.PGconn) -> pq.abc.PGresult | None:
    while True:
        pgconn.consume_input()
        if not pgconn.is_busy():
            return pgconn.get_result()
        await anyio.wait_readable(pgconn.socket)


async def _query(
    conn: psycopg.AsyncConnection[Any], sql: str, bindings: Sequence[Scalar], policy: DbPolicy
) -> DbResult:
    pgconn = conn.pgconn
    try:
        pgconn.send_query_params(
            sql.encode("utf-8"), [_dump(value) for value in bindings], [0] * len(bindings)
        )
        if psycopg.capabilities.has_stream_chunked():
            pgconn.set_chunked_rows_mode(min(CHUNK_ROWS, policy.max_rows + 1))
        else:
            pgconn.set_single_row_mode()
        while pgconn.flush():
            await anyio.wait_writable(pgconn.socket)
        return await _collect(conn, pgconn, policy)
    except psycopg.Error as exc:
        log.info("sdk.db: PostgreSQL connection failed during a query: %s", exc)
        raise DbError(
            DbErrorCode.CONNECT_FAILED, "The connection to the database was lost during the query"
        ) from None


async def _collect(
    conn: psycopg.AsyncConnection[Any], pgconn: pq.abc.PGconn, policy: DbPolicy
) -> DbResult:
    builder = ResultBuilder(policy)
    transformer = adapt.Transformer(conn)
    first = True
    row_count: int | None = None
    failure: DbError | None = None
    while (res := await _next_result(pgconn)) is not None:
        status = Status(res.status)
        if status in _ROW_STATUSES:
            transformer.set_pgresult(res, set_loaders=first)
            if first:
                builder.fields = _names(res)
                first = False
            for values in transformer.load_rows(0, res.ntuples, tuple):
                if not builder.add(values):
                    return builder.result()  # run() cancels the rest
        elif status == Status.TUPLES_OK:
            if first:
                builder.fields = _names(res)
            row_count = res.command_tuples
        elif status == Status.COMMAND_OK:
            row_count = res.command_tuples or 0
        elif status in _COPY_STATUSES:
            raise DbError(DbErrorCode.QUERY_FAILED, "COPY is not supported by sdk.db")
        elif status in (Status.FATAL_ERROR, Status.NONFATAL_ERROR, Status.BAD_RESPONSE):
            failure = failure or _query_error(res, policy)
    if failure is not None:
        raise failure
    return builder.result(row_count)


def _names(res: pq.abc.PGresult) -> list[str]:
    return [(res.fname(i) or b"").decode("utf-8", "replace") for i in range(res.nfields)]


def _query_error(res: pq.abc.PGresult, policy: DbPolicy) -> DbError:
    def field(name: pq.DiagnosticField) -> str:
        return (res.error_field(name) or b"").decode("utf-8", "replace").strip()

    sqlstate = field(pq.DiagnosticField.SQLSTATE) or None
    if sqlstate == "57014":  # query_canceled: the statement timeout (or our cancel)
        return DbError(
            DbErrorCode.TIMEOUT,
            f"The query did not finish within {policy.statement_timeout_s:g} s "
            "(the statement timeout)",
            db_code=sqlstate,
        )
    message = field(pq.DiagnosticField.MESSAGE_PRIMARY) or "the query failed"
    detail = field(pq.DiagnosticField.MESSAGE_DETAIL)
    hint = field(pq.DiagnosticField.MESSAGE_HINT)
    if detail:
        message += f" ({detail})"
    if hint:
        message += f" Hint: {hint}"
    return DbError(DbErrorCode.QUERY_FAILED, message[:2000], db_code=sqlstate)


async def _cancel(conn: psycopg.AsyncConnection[Any]) -> None:
    """Ask the server to stop the running statement; best effort, bounded, never raises."""
    with anyio.move_on_after(CANCEL_TIMEOUT_S, shield=True):
        try:
            await conn.cancel_safe(timeout=CANCEL_TIMEOUT_S)
        except Exception as exc:  # a refused or failed cancel changes nothing for the tool
            log.debug("sdk.db: cancelling a PostgreSQL query failed: %s", exc)


def _lenient(base: type[adapt.Loader]) -> type[adapt.Loader]:
    """A text loader that falls back to the server's text when Python cannot hold the value
    ('infinity', years after 9999, BC dates) instead of failing the whole query."""

    class Lenient(base):  # type: ignore[valid-type,misc]  # a dynamic subclass of a loader
        def load(self, data: Any) -> Any:
            try:
                return super().load(data)
            except (psycopg.DataError, ValueError, OverflowError):
                return bytes(data).decode("utf-8", "replace")

    Lenient.__name__ = f"Lenient{base.__name__}"
    return Lenient


_LENIENT: Final = {
    "date": _lenient(pg_datetime.DateLoader),
    "timestamp": _lenient(pg_datetime.TimestampLoader),
    "timestamptz": _lenient(pg_datetime.TimestamptzLoader),
    "time": _lenient(pg_datetime.TimeLoader),
    "timetz": _lenient(pg_datetime.TimetzLoader),
}
