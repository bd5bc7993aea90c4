"""Fixtures for the sandbox tests: the asyncio backend, an in-process runner, process pools,
and a throwaway PostgreSQL cluster and MariaDB server (once per session, for ``sdk.db``), each
with a password user owning its own database."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import anyio
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.sandbox.http.fakes import FakeServer, Reply, Seen, api
from tests.support.mysql import MysqlServer, mysql_server
from tests.support.postgres import postgres_server
from toolkeep.sandbox.http import HttpPolicy
from toolkeep.sandbox.inprocess import ThreadedQuickJsRunner
from toolkeep.sandbox.pool import ProcessPoolRunner
from toolkeep.sandbox.runner import ToolInvocation


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def runner(anyio_backend: str) -> AsyncIterator[ThreadedQuickJsRunner]:
    tool_runner = ThreadedQuickJsRunner(max_workers=2)
    yield tool_runner
    await tool_runner.aclose()


def invocation(
    code: str,
    arguments: dict[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    **limits: Any,
) -> ToolInvocation:
    return ToolInvocation(
        server_id=uuid.UUID(int=1),
        tool_name="demo",
        code=code,
        arguments=arguments or {},
        env=env or {},
        **limits,
    )


# --- the process pool --------------------------------------------------------------------

POOL_GRACE_S = 1.0
START_BOUND_S = 60.0  # spawning and warming workers on a busy CI machine
CLOSE_BOUND_S = 15.0


def local_http_policy(**overrides: Any) -> HttpPolicy:
    """sdk.http may reach the fake APIs on 127.0.0.1 (an admin allow-list), nothing else."""
    return HttpPolicy(allow_networks=[ipaddress.ip_network("127.0.0.1/32")], **overrides)


@contextlib.asynccontextmanager
async def open_pool(size: int = 2, **options: Any) -> AsyncIterator[ProcessPoolRunner]:
    options.setdefault("grace_s", POOL_GRACE_S)
    options.setdefault("http_policy", local_http_policy(timeout_s=5.0))
    pool = ProcessPoolRunner(size, **options)
    with anyio.fail_after(START_BOUND_S):
        await pool.start()
    try:
        yield pool
    finally:
        with anyio.fail_after(CLOSE_BOUND_S):
            await pool.aclose()


@pytest.fixture
async def pool(anyio_backend: str) -> AsyncIterator[ProcessPoolRunner]:
    async with open_pool() as tool_pool:
        yield tool_pool


@dataclass
class FakeApi:
    """A fake third-party API on 127.0.0.1 (the http tests' routes, see ``fakes.api``) plus
    ``/hang``, which signals ``arrived`` and answers only when the test ends: a tool
    awaiting it is a tool known to be running."""

    server: FakeServer
    arrived: anyio.Event = field(default_factory=anyio.Event)
    released: anyio.Event = field(default_factory=anyio.Event)

    def url(self, path: str) -> str:
        return self.server.url(path)

    async def handle(self, seen: Seen) -> Reply:
        if seen.path == "/hang":
            self.arrived.set()
            await self.released.wait()
            return Reply(200, [], b"too late")
        return await api(seen)


@pytest.fixture
async def fake_api(anyio_backend: str) -> AsyncIterator[FakeApi]:
    holder: list[FakeApi] = []

    async def handle(seen: Seen) -> Reply:
        return await holder[0].handle(seen)

    fake = FakeApi(FakeServer("127.0.0.1", handle))
    holder.append(fake)
    await fake.server.start()
    try:
        yield fake
    finally:
        fake.released.set()
        await fake.server.aclose()


# --- the databases of sdk.db ---------------------------------------------------------


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
