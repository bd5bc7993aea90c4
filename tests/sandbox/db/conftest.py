"""Fixtures: a fresh table name per test, ports that misbehave, a MariaDB server with TLS.

The throwaway PostgreSQL cluster and MariaDB server (``pg``, ``maria``, once per session)
live in ``tests/sandbox/conftest.py``: the process pool's tests use them too."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.sandbox.conftest import Postgres as Postgres  # where the db tests import it from
from tests.support.mysql import MysqlServer, mysql_server


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
