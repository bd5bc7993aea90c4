"""Fixtures: a throwaway PostgreSQL cluster and MariaDB server (once per session), each with
a password user owning its own database, a fresh table name per test, and policies that
open 127.0.0.1 (the databases' address) the way an administrator would."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.support.mysql import MysqlServer, mysql_server
from tests.support.postgres import postgres_server


@dataclass(frozen=True)
class Postgres:
    """A database owned by a password role; ``admin`` is a superuser's conninfo."""

    host: str
    port: int
    user: str
    password: str
    database: str
    admin: str
    tls: bool = False  # the server offers TLS (a certificate from a private test CA)

    def url(self, **changes: str | int) -> str:
        fields = {
            "user": self.user,
            "password": self.password,
            "host": self.host,
            "port": self.port,
            "database": self.database,
        }
        fields.update(changes)
        return (
            f"postgres://{quote(str(fields['user']), safe='')}:"
            f"{quote(str(fields['password']), safe='')}@{fields['host']}:{fields['port']}/"
            f"{quote(str(fields['database']), safe='')}"
        )

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """A direct connection as the owner (fixtures and checks, not through sdk.db)."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.database,
            autocommit=True,
            connect_timeout=5,
        )


@pytest.fixture(scope="session")
def pg() -> Iterator[Postgres]:
    with postgres_server() as admin_url:
        parts = urlsplit(admin_url)
        admin = {
            "host": parts.hostname or "127.0.0.1",
            "port": str(parts.port or 5432),
            "user": unquote(parts.username or "postgres"),
            "password": unquote(parts.password or ""),
            "dbname": parts.path.lstrip("/") or "postgres",
            "connect_timeout": "10",
        }
        suffix = secrets.token_hex(4)
        server = Postgres(
            host=admin["host"],
            port=int(admin["port"]),
            user=f"tk_tool_{suffix}",
            password=f"pw-{secrets.token_hex(8)}",
            database=f"tk_tool_{suffix}",
            admin=make_conninfo(**admin),
        )
        with psycopg.connect(server.admin, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {server.user} LOGIN PASSWORD '{server.password}'")
            conn.execute(f"CREATE DATABASE {server.database} OWNER {server.user}")
        certs = Path(tempfile.mkdtemp(prefix="toolkeep-pg-tls-"))
        try:
            if not os.environ.get("TOOLKEEP_TEST_POSTGRES_URL"):  # our own cluster only
                _enable_tls(server.admin, certs)
                server = replace(server, tls=True)
            yield server
        finally:
            with psycopg.connect(server.admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {server.database} WITH (FORCE)")
                conn.execute(f"DROP ROLE IF EXISTS {server.user}")
            shutil.rmtree(certs, ignore_errors=True)


def _enable_tls(admin: str, directory: Path) -> None:
    """Turn TLS on in a running cluster (ALTER SYSTEM + reload), with a test CA's leaf."""
    from tests.sandbox.http.certs import TestCA

    leaf = TestCA(directory).issue("127.0.0.1", "localhost")
    leaf.key_file.chmod(0o600)
    if os.geteuid() == 0:  # the cluster runs as postgres
        for path in (directory, *directory.iterdir()):
            shutil.chown(path, "postgres", "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET ssl_cert_file = '{leaf.cert_file}'")
        conn.execute(f"ALTER SYSTEM SET ssl_key_file = '{leaf.key_file}'")
        conn.execute("ALTER SYSTEM SET ssl = on")
        conn.execute("SELECT pg_reload_conf()")
    with psycopg.connect(admin, autocommit=True) as conn:  # a new backend sees the reload
        for _ in range(100):  # a bounded wait: 5 s
            row = conn.execute("SHOW ssl").fetchone()
            if row is not None and row[0] == "on":
                return
            time.sleep(0.05)
    raise RuntimeError("the test cluster did not turn TLS on")


@pytest.fixture(scope="session")
def maria() -> Iterator[MysqlServer]:
    with mysql_server() as server:
        yield server


@pytest.fixture
def table() -> str:
    """A table name no other test uses."""
    return f"t_{secrets.token_hex(5)}"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose listener accepts TCP connections and never says a word."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        port: int = sock.getsockname()[1]
        yield port


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (connections are refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="session")
def maria_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MysqlServer]:
    """A second MariaDB server that offers TLS with a certificate from a private test CA
    (so it is valid for 127.0.0.1 but not trusted by the public CAs sdk.db verifies with)."""
    from tests.sandbox.http.certs import TestCA

    leaf = TestCA(tmp_path_factory.mktemp("mariadb-ca")).issue("127.0.0.1", "localhost")
    with mysql_server(tls=(leaf.cert_file, leaf.key_file)) as server:
        yield server
