"""MySQL and MariaDB through PyMySQL (pure Python, blocking) in a worker thread.

Connecting: the parent opens the TCP socket itself, to a checked address, and hands it to
PyMySQL (``Connection.connect(sock)``), which never resolves the name; TLS still verifies
the name the tool wrote. No option file is read, ``LOAD DATA LOCAL`` is off (a server
asking for a client file is refused), multi-statements are off, the character set is
always utf8mb4.

Running: PyMySQL escapes each binding for the session (see :mod:`.placeholders`). The
unbuffered cursor streams rows; reading stops after ``max_rows + 1`` rows and the
connection is dropped (never drained). Every byte read from the server counts against a
budget (twice ``max_result_bytes`` plus 1 MiB; the handshake 1 MiB), so neither a huge
result nor a hostile server can fill the parent's memory. The statement timeout is set on
the session (MariaDB ``max_statement_time``, MySQL ``max_execution_time``, which only
covers SELECT), and a watchdog on the event loop shuts the socket down when the connect
deadline or the statement timeout plus a second passes, which ends any blocked read or
write in the thread at once (the thread then closes its connection itself).
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Final, cast

import anyio
import anyio.from_thread
import anyio.to_thread
import certifi
import pymysql
from pymysql.constants import SERVER_STATUS
from pymysql.cursors import SSCursor

from toolkeep.sandbox.db.errors import DbError, DbErrorCode
from toolkeep.sandbox.db.model import DbResult, ResultBuilder, Scalar, too_large
from toolkeep.sandbox.db.placeholders import check_count, translate
from toolkeep.sandbox.db.policy import DbPolicy
from toolkeep.sandbox.db.target import Target
from toolkeep.sandbox.http.addresses import IPAddress

log = logging.getLogger("toolkeep.sandbox.db")

GRACE_S: Final = 1.0
HANDSHAKE_BUDGET: Final = 1024 * 1024
_AUTH_ERRORS: Final = frozenset({1044, 1045, 1698, 1251, 2059, 1862})  # denied, plugin, expired
_TIMEOUT_ERRORS: Final = frozenset({1969, 3024, 1317})  # max_statement_time, ..., interrupted
_LOST_ERRORS: Final = frozenset({2006, 2013, 2014, 2055})


class _OverBudget(Exception):
    """The server sent more bytes than the call may read."""


class _Aborted(Exception):
    """The watchdog fired before the socket was attached."""


if TYPE_CHECKING:
    _Base = pymysql.connections.Connection[SSCursor]
else:  # not generic at run time
    _Base = pymysql.connections.Connection


class _Connection(_Base):
    """A PyMySQL connection that counts every byte it reads against a budget."""

    read_budget: int = HANDSHAKE_BUDGET

    def _read_bytes(self, num_bytes: int) -> bytes:
        self.read_budget -= num_bytes
        if self.read_budget < 0:
            raise _OverBudget
        data: bytes = super()._read_bytes(num_bytes)  # type: ignore[misc]  # private in stubs
        return data


class _StreamCursor(SSCursor):
    """An unbuffered cursor that can drop the rest of its result without reading it (PyMySQL
    would otherwise drain every remaining row when the cursor or result is collected)."""

    def abandon(self) -> None:
        result = getattr(self, "_result", None)
        if result is not None and getattr(result, "unbuffered_active", False):
            result.unbuffered_active = False
        self._result = None


class _Abort:
    """Lets the event loop stop the driver thread: shutting the socket down makes every
    pending and later read or write fail at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self.reason: str | None = None  # "connect" or "query", once fired
        self.query_started: float | None = None  # time.monotonic()
        self.connected = anyio.Event()  # set (on the event loop) when the query starts

    def start_query(self) -> None:
        """Called on the driver thread once connected: the query deadline starts now."""
        self.query_started = time.monotonic()
        with suppress(RuntimeError):  # the event loop is gone: nobody waits any more
            anyio.from_thread.run_sync(self.connected.set)

    def attach(self, sock: socket.socket) -> None:
        """Keep a duplicate of the connected socket: it stays valid whatever the driver
        does with its own (TLS wrapping detaches it, closing frees the number)."""
        with self._lock:
            self._sock = sock.dup()
            fired = self.reason is not None
        if fired:
            sock.close()
            raise _Aborted

    def fire(self, reason: str) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
            sock = self._sock
        if sock is not None:
            with suppress(OSError):  # not connected any more
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


async def run(
    target: Target,
    addresses: Sequence[IPAddress],
    sql: str,
    bindings: Sequence[Scalar],
    policy: DbPolicy,
    connect_deadline: float,
) -> DbResult:
    abort = _Abort()
    work = partial(_work, target, addresses, sql, bindings, policy, connect_deadline, abort)
    failure: Exception | None = None
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_watchdog, abort, connect_deadline, policy)
            try:
                result = await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
            except (DbError, _Aborted, _OverBudget, pymysql.MySQLError, OSError) as exc:
                failure = exc
            finally:
                group.cancel_scope.cancel()
    finally:
        abort.fire("done")  # a thread abandoned by a cancelled caller ends now
        abort.close()
    if failure is not None:
        raise _error(failure, abort, target, policy) from None
    return result


async def _watchdog(abort: _Abort, connect_deadline: float, policy: DbPolicy) -> None:
    with anyio.move_on_after(max(0.0, connect_deadline - time.monotonic())):
        await abort.connected.wait()
    if abort.query_started is None:
        abort.fire("connect")
        return
    limit = policy.statement_timeout_s + GRACE_S
    await anyio.sleep(max(0.0, abort.query_started + limit - time.monotonic()))
    abort.fire("query")


def _error(exc: BaseException, abort: _Abort, target: Target, policy: DbPolicy) -> DbError:
    if isinstance(exc, DbError):
        return exc
    if isinstance(exc, _OverBudget):
        return too_large(policy.max_result_bytes)
    code = exc.args[0] if isinstance(exc, pymysql.MySQLError) and exc.args else None
    text = str(exc.args[1]) if isinstance(code, int) and len(exc.args) > 1 else ""
    if abort.reason == "connect" or (abort.query_started is None and isinstance(exc, _Aborted)):
        return DbError(
            DbErrorCode.CONNECT_FAILED,
            f"Could not connect to {target.netloc} within {policy.connect_timeout_s:g} s",
        )
    if abort.reason == "query" or code in _TIMEOUT_ERRORS:
        return DbError(
            DbErrorCode.TIMEOUT,
            f"The query did not finish within {policy.statement_timeout_s:g} s "
            "(the statement timeout)",
            db_code=str(code) if code in _TIMEOUT_ERRORS else None,
        )
    if code in _AUTH_ERRORS:
        return DbError(DbErrorCode.AUTH_FAILED, text[:2000], db_code=str(code))
    server_error = isinstance(code, int) and not 2000 <= code < 3000  # 2xxx: client errors
    if abort.query_started is None:  # failed while connecting
        if server_error and text:  # the server's own refusal
            return DbError(DbErrorCode.CONNECT_FAILED, text[:2000], db_code=str(code))
        return DbError(
            DbErrorCode.CONNECT_FAILED, f"Could not connect to {target.netloc}: {_reason(exc)}"
        )
    if code in _LOST_ERRORS or not server_error:
        log.info("sdk.db: MySQL connection lost during a query: %s", exc)
        return DbError(
            DbErrorCode.CONNECT_FAILED, "The connection to the database was lost during the query"
        )
    return DbError(DbErrorCode.QUERY_FAILED, text[:2000] or "the query failed", db_code=str(code))


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "original_exception", exc)
    if isinstance(original, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed: {original.verify_message}"
    if isinstance(original, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(original, ConnectionRefusedError):
        return "connection refused"
    if isinstance(original, TimeoutError):
        return "connection timed out"
    if isinstance(exc, pymysql.MySQLError) and exc.args and exc.args[0] == 2026:
        return "the server does not support TLS (sslmode requires it)"
    if isinstance(original, OSError) and original.strerror:
        return original.strerror.lower()
    return "connection failed"


def _ssl_options(target: Target) -> dict[str, Any]:
    if target.sslmode in ("disable", "prefer"):  # prefer: see _prefer_tls
        return {"ssl_disabled": True}
    return {"ssl": _context(target.sslmode)}


@cache
def _context(sslmode: str) -> ssl.SSLContext:
    """One context per mode, built once (loading a trust store costs about 50 ms)."""
    if sslmode in ("prefer", "require"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context(cafile=certifi.where())
    context.check_hostname = sslmode == "verify-full"
    return context


def _prefer_tls(conn: _Connection) -> None:
    """PyMySQL's PREFERRED mode (TLS when the server offers it, unverified), with the cached
    context: PyMySQL's own builds a new one for every connection."""
    driver: Any = conn  # PyMySQL 1.2's own attributes for its PREFERRED mode
    driver.ssl = True
    driver.ctx = _context("prefer")
    driver._ssl_required = False


def _open_socket(
    target: Target, addresses: Sequence[IPAddress], deadline: float, abort: _Abort
) -> socket.socket:
    failure: OSError | None = None
    for address in addresses:  # in resolver order; each one was checked
        remaining = deadline - time.monotonic()
        if remaining <= 0 or abort.reason is not None:
            break
        try:
            sock = socket.create_connection((str(address), target.port), timeout=remaining)
        except OSError as exc:
            failure = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        abort.attach(sock)
        return sock
    if failure is None:
        raise _Aborted
    raise failure


def _work(
    target: Target,
    addresses: Sequence[IPAddress],
    sql: str,
    bindings: Sequence[Scalar],
    policy: DbPolicy,
    connect_deadline: float,
    abort: _Abort,
) -> DbResult:
    """Connect, run, read, close: all of it on this worker thread."""
    io_timeout = policy.connect_timeout_s + policy.statement_timeout_s + GRACE_S
    conn = _Connection(
        host=target.host,
        port=target.port,
        user=target.user,
        password=target.password,
        database=target.database,
        charset="utf8mb4",
        connect_timeout=policy.connect_timeout_s,
        read_timeout=io_timeout,
        write_timeout=io_timeout,
        autocommit=True,
        local_infile=False,
        client_flag=0,
        program_name="toolkeep-tool",
        defer_connect=True,
        cursorclass=SSCursor,
        **_ssl_options(target),
    )
    if target.sslmode == "prefer":
        _prefer_tls(conn)
    try:
        conn.connect(_open_socket(target, addresses, connect_deadline, abort))
        _set_statement_timeout(conn, policy)
        abort.start_query()
        return _query(conn, sql, bindings, policy)
    finally:
        if conn.open:
            try:
                conn.close()
            except Exception as exc:  # the socket may already be shut down
                log.debug("sdk.db: closing a MySQL connection failed: %s", exc)


def _set_statement_timeout(conn: _Connection, policy: DbPolicy) -> None:
    driver: Any = conn  # untyped in the stubs
    if "mariadb" in str(driver.get_server_info()).lower():
        statement = f"SET SESSION max_statement_time = {policy.statement_timeout_s:.6f}"
    else:
        statement = (
            f"SET SESSION max_execution_time = {max(1, round(policy.statement_timeout_s * 1000))}"
        )
    try:
        with conn.cursor(pymysql.cursors.Cursor) as cursor:
            cursor.execute(statement)
    except pymysql.MySQLError as exc:  # an old server without the variable: the watchdog stays
        if exc.args and isinstance(exc.args[0], int) and 2000 <= exc.args[0] < 3000:
            raise  # the connection itself failed
        log.info("sdk.db: could not set the MySQL statement timeout: %s", exc)


def _query(conn: _Connection, sql: str, bindings: Sequence[Scalar], policy: DbPolicy) -> DbResult:
    status: int = cast(Any, conn).server_status  # from the last OK packet (the SET above)
    backslashes = not status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES
    translated = translate(sql, "mysql", for_binding=bool(bindings), backslash_escapes=backslashes)
    check_count(translated, len(bindings))
    conn.read_budget = 2 * policy.max_result_bytes + 1024 * 1024
    builder = ResultBuilder(policy)
    cursor = conn.cursor(_StreamCursor)
    try:
        cursor.execute(translated.sql, tuple(bindings) if bindings else None)
        if not cursor.description:
            return builder.result(max(0, cursor.rowcount), cursor.lastrowid)
        builder.fields = [str(column[0]) for column in cursor.description]
        while (row := cursor.fetchone()) is not None:
            if not builder.add(row):
                break
        return builder.result(last_insert_id=cursor.lastrowid)
    finally:
        cursor.abandon()
