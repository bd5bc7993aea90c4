"""Start a throwaway PostgreSQL cluster from the Debian packages, for the test session.

Set ``TOOLKEEP_TEST_POSTGRES_URL`` (an admin URL, e.g. postgresql+psycopg://postgres@host/postgres)
to use an existing server instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise RuntimeError(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb). "
            "Install the Debian package 'postgresql' (.ci/run does this)."
        )
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(args: list[str], as_postgres: bool) -> None:
    if as_postgres:
        args = ["runuser", "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, capture_output=True, timeout=120)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield an admin SQLAlchemy URL of a running server; stop and delete it afterwards."""
    existing = os.environ.get("TOOLKEEP_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    bindir = _bin_dir()
    as_postgres = os.geteuid() == 0  # postgres refuses to run as root
    root = Path(tempfile.mkdtemp(prefix="toolkeep-pg-"))
    data, port = root / "data", _free_port()
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            as_postgres,
        )
        options = f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "-l",
                str(root / "log"),
                "start",
            ],
            as_postgres,
        )
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                as_postgres,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
