"""Start a throwaway MariaDB server from the Debian package, for the test session.

``mariadb-install-db`` creates a data directory in a temporary folder; ``mariadbd`` serves it
on 127.0.0.1 and a free port (no option files read, no binary log, small buffers), with a
real user that has a password and its own database, created by an ``--init-file`` before
the server accepts connections. Readiness is a bounded wait for that user to log in.
Everything is stopped and deleted afterwards. As root the server runs as ``mysql`` (the
package creates that user), as it refuses to run as root.

Set ``TOOLKEEP_TEST_MYSQL_URL`` (``mysql://user:password@host:port/database``, a user that
may create tables there and set global variables) to use an existing server instead.
Without it and without the binaries, :func:`mysql_server` raises :class:`MysqlMissing`,
naming the package to install.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pymysql

PACKAGE = "mariadb-server"
USER = "toolkeep"
PASSWORD = "tk-test-pw-9f3a"
DATABASE = "toolkeep_test"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


class MysqlMissing(RuntimeError):
    """The MariaDB server binaries are not installed."""


@dataclass(frozen=True)
class MysqlServer:
    host: str
    port: int
    user: str
    password: str
    database: str

    @property
    def url(self) -> str:
        return (
            f"mysql://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{self.database}"
        )

    def connect(self) -> pymysql.connections.Connection[pymysql.cursors.Cursor]:
        """A direct PyMySQL connection for fixtures (not through sdk.db)."""
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=self.database,
            autocommit=True,
            connect_timeout=5,
            read_timeout=30,
        )


def _binary(*names: str) -> str:
    for name in names:
        for folder in (None, "/usr/sbin", "/usr/bin"):
            found = shutil.which(name, path=folder)
            if found:
                return found
    raise MysqlMissing(
        f"MariaDB is not installed (none of {', '.join(names)} found). Install the Debian "
        f"package '{PACKAGE}' (apt-get install -y {PACKAGE}; .ci/run does this)."
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _from_url(url: str) -> MysqlServer:
    parts = urlsplit(url)
    return MysqlServer(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=parts.path.lstrip("/"),
    )


def _wait_ready(server: MysqlServer, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mariadbd exited with {process.returncode}: {_tail(log)}")
        try:
            server.connect().close()
            return
        except pymysql.MySQLError as exc:
            last = exc
        time.sleep(0.05)  # polling interval of a bounded readiness wait
    raise TimeoutError(
        f"MariaDB did not accept logins in {READY_TIMEOUT_S} s ({last}): {_tail(log)}"
    )


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # a clean shutdown
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def mysql_server(tls: tuple[Path, Path] | None = None) -> Iterator[MysqlServer]:
    """Yield a running server with a password user owning ``DATABASE``; stop and delete it.

    ``tls``: a certificate and key file (PEM); the server then offers TLS. Such a server is
    always started here, even with ``TOOLKEEP_TEST_MYSQL_URL`` set.
    """
    existing = os.environ.get("TOOLKEEP_TEST_MYSQL_URL")
    if existing and tls is None:
        yield _from_url(existing)
        return
    install_db = _binary("mariadb-install-db", "mysql_install_db")
    mariadbd = _binary("mariadbd", "mysqld")
    as_root = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="toolkeep-mariadb-"))
    data, log, port = root / "data", root / "server.log", _free_port()
    server = MysqlServer("127.0.0.1", port, USER, PASSWORD, DATABASE)
    init = root / "init.sql"
    init.write_text(
        f"CREATE DATABASE IF NOT EXISTS {DATABASE};\n"
        f"CREATE USER IF NOT EXISTS '{USER}'@'%' IDENTIFIED BY '{PASSWORD}';\n"
        f"GRANT ALL PRIVILEGES ON {DATABASE}.* TO '{USER}'@'%';\n"
        f"GRANT SUPER ON *.* TO '{USER}'@'%';\n"  # SET GLOBAL sql_mode, in one test
    )
    user_args = ["--user=mysql"] if as_root else []
    tls_args: list[str] = []
    if tls is not None:
        cert, key = root / "server.pem", root / "server.key"
        shutil.copyfile(tls[0], cert)
        shutil.copyfile(tls[1], key)
        tls_args = [f"--ssl-cert={cert}", f"--ssl-key={key}"]
    if as_root:
        for path in (root, *root.iterdir()):
            shutil.chown(path, "mysql", "mysql")
    try:
        subprocess.run(
            [install_db, "--no-defaults", f"--datadir={data}", "--skip-test-db",
             "--auth-root-authentication-method=socket", *user_args],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        args = [mariadbd, "--no-defaults", f"--datadir={data}", f"--socket={root / 'sock'}",
                f"--port={port}", "--bind-address=127.0.0.1", "--skip-name-resolve",
                f"--init-file={init}", f"--pid-file={root / 'pid'}", f"--log-error={log}",
                "--skip-log-bin", "--innodb-buffer-pool-size=16M",
                "--innodb-flush-log-at-trx-commit=0", "--max-connections=100",
                *tls_args, *user_args]  # fmt: skip
        with open(os.devnull, "wb") as devnull:
            process = subprocess.Popen(args, stdout=devnull, stderr=subprocess.STDOUT)
        try:
            _wait_ready(server, process, log)
            yield server
        finally:
            _stop(process)
    finally:
        with suppress(OSError):
            shutil.rmtree(root)
