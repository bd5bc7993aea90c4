"""Parsing the connection string tool code passes to ``sdk.db`` into a :class:`Target`.

Only URLs are accepted (``postgres://user:pass@host:5432/db``, ``mysql://…``), never libpq
``key=value`` strings or driver options: the drivers get exactly the fields read here, so a
connection string cannot name a Unix socket, a second host, a password file, client
certificates or any other file of the host. Supported query options: ``sslmode``
(``disable``, ``prefer`` (default), ``require``, ``verify-ca``, ``verify-full``), and for
MySQL also its own spelling ``ssl-mode`` (``DISABLED`` … ``VERIFY_IDENTITY``).

Messages never quote the connection string, the user's password or any part of the URL
that could hold it (a password with an unescaped ``/`` or ``#`` ends up elsewhere).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from toolkeep.sandbox.db.errors import DbError, DbErrorCode
from toolkeep.sandbox.http.addresses import parse_ip_literal
from toolkeep.sandbox.http.errors import HttpError

Dialect = Literal["postgres", "mysql"]
SslMode = Literal["disable", "prefer", "require", "verify-ca", "verify-full"]

DIALECTS: Final[dict[str, Dialect]] = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
}
DEFAULT_PORTS: Final[dict[Dialect, int]] = {"postgres": 5432, "mysql": 3306}
MAX_CONNECTION_CHARS: Final = 4096
SSL_MODES: Final[tuple[SslMode, ...]] = ("disable", "prefer", "require", "verify-ca", "verify-full")
_MYSQL_SSL_MODES: Final[dict[str, SslMode]] = {
    "disabled": "disable",
    "preferred": "prefer",
    "required": "require",
    "verify_ca": "verify-ca",
    "verify_identity": "verify-full",
}
_HOSTNAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_EXAMPLES: Final[dict[Dialect, str]] = {
    "postgres": "postgres://user:password@db.example.com:5432/dbname",
    "mysql": "mysql://user:password@db.example.com:3306/dbname",
}


@dataclass(frozen=True, slots=True)
class Target:
    """Where and as whom to connect. ``host`` is lower-case, without IPv6 brackets."""

    dialect: Dialect
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    database: str | None
    sslmode: SslMode = "prefer"

    @property
    def netloc(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def dialect_of(db_type: object) -> Dialect:
    if isinstance(db_type, str) and db_type.strip().lower() in DIALECTS:
        return DIALECTS[db_type.strip().lower()]
    raise DbError(
        DbErrorCode.DB_TYPE_INVALID,
        "type must be 'postgres' (or 'postgresql') or 'mysql' (or 'mariadb')",
    )


def _invalid(dialect: Dialect, problem: str) -> DbError:
    return DbError(
        DbErrorCode.CONNECTION_INVALID,
        f"The connection string {problem}; expected a URL like {_EXAMPLES[dialect]} "
        "(percent-encode special characters in the user name and password)",
    )


def parse_connection(dialect: Dialect, connection: object) -> Target:
    """Check the URL and split it; raises ``DbError(connection_invalid | address_blocked)``."""
    if not isinstance(connection, str) or not connection.strip():
        raise _invalid(dialect, "must be a non-empty string")
    text = connection.strip()
    if len(text) > MAX_CONNECTION_CHARS:
        raise _invalid(dialect, f"is longer than {MAX_CONNECTION_CHARS} characters")
    if _CONTROL.search(text):
        raise _invalid(dialect, "contains spaces or control characters")
    try:
        url = urlsplit(text)
        port = url.port
        host = url.hostname or ""
    except ValueError:
        raise _invalid(dialect, "is not a valid URL") from None
    scheme = url.scheme.lower()
    if scheme not in DIALECTS:
        raise _invalid(dialect, "must start with postgres:// or mysql://")
    if DIALECTS[scheme] != dialect:
        raise DbError(
            DbErrorCode.CONNECTION_INVALID,
            f"The connection string is a {scheme}:// URL but type is '{dialect}'",
        )
    if url.fragment or "#" in text:
        raise _invalid(dialect, "contains '#'")
    return Target(
        dialect=dialect,
        host=_check_host(dialect, host, url.netloc),
        port=DEFAULT_PORTS[dialect] if port is None else _check_port(dialect, port),
        user=_check_user(dialect, url.username),
        password=_decode(dialect, url.password or "", "password"),
        database=_check_database(dialect, url.path),
        sslmode=_check_options(dialect, url.query),
    )


def _decode(dialect: Dialect, raw: str, what: str) -> str:
    try:
        value = unquote(raw, errors="strict") if "%" in raw else raw
    except UnicodeDecodeError:
        raise _invalid(dialect, f"has a {what} that is not valid UTF-8 once decoded") from None
    if "\x00" in value:
        raise _invalid(dialect, f"has a NUL character in the {what}")
    return value


def _check_host(dialect: Dialect, host: str, netloc: str) -> str:
    if not host:
        raise _invalid(dialect, "has no host (Unix sockets are not supported)")
    if "," in netloc.rpartition("@")[2]:
        raise _invalid(dialect, "names several hosts; give exactly one")
    try:
        literal = parse_ip_literal(host)
    except HttpError:
        raise _invalid(dialect, f"has an invalid IP address '{host}'") from None
    if literal is None and (len(host) > 253 or not _HOSTNAME.fullmatch(host)):
        raise _invalid(dialect, "has an invalid host name")
    return host


def _check_port(dialect: Dialect, port: int) -> int:
    if not 0 < port < 65536:
        raise _invalid(dialect, "has an invalid port")
    return port


def _check_user(dialect: Dialect, raw: str | None) -> str:
    user = _decode(dialect, raw or "", "user name")
    if not user:
        raise _invalid(dialect, "must name a user (user:password@host)")
    if len(user) > 256:
        raise _invalid(dialect, "has a user name longer than 256 characters")
    return user


def _check_database(dialect: Dialect, path: str) -> str | None:
    name = path[1:] if path.startswith("/") else path
    if not name:
        return None
    database = _decode(dialect, name, "database name")
    if "/" in name or len(database) > 256:
        raise _invalid(dialect, "has an invalid database name (one path segment expected)")
    return database


def _check_options(dialect: Dialect, query: str) -> SslMode:
    try:
        options = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _invalid(dialect, "has an invalid query string") from None
    supported = "sslmode" if dialect == "postgres" else "sslmode, ssl-mode"
    sslmode: SslMode = "prefer"
    seen: set[str] = set()
    for key, value in options:
        if key in seen or (key in ("sslmode", "ssl-mode") and seen & {"sslmode", "ssl-mode"}):
            raise _invalid(dialect, f"sets '{key}' twice")
        seen.add(key)
        if key == "sslmode" and value in SSL_MODES:
            sslmode = value
        elif key == "ssl-mode" and dialect == "mysql" and value.lower() in _MYSQL_SSL_MODES:
            sslmode = _MYSQL_SSL_MODES[value.lower()]
        elif key in ("sslmode", "ssl-mode") and (key == "sslmode" or dialect == "mysql"):
            allowed = ", ".join(SSL_MODES if key == "sslmode" else _MYSQL_SSL_MODES)
            raise DbError(DbErrorCode.CONNECTION_INVALID, f"{key} must be one of: {allowed}"[:300])
        else:
            raise DbError(
                DbErrorCode.CONNECTION_INVALID,
                f"Unsupported connection option '{key[:40]}' (supported: {supported})",
            )
    return sslmode
