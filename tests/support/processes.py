"""Run Toolkeep as real server processes on 127.0.0.1 (what replicas look like)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from toolkeep.serving import HTTP_PROTOCOL


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], deadline_s: float = 30) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # polling interval of a bounded readiness wait
    raise TimeoutError(f"{base_url} did not become healthy in {deadline_s} s")


@contextmanager
def toolkeep_process(data_dir: Path, database_url: str, log: Path) -> Iterator[str]:
    """Start ``uvicorn --factory toolkeep.app:create_app``; yield its base URL."""
    port = free_port()
    env = {**os.environ, "TOOLKEEP_DATA_DIR": str(data_dir), "TOOLKEEP_DATABASE_URL": database_url}
    args = [sys.executable, "-m", "uvicorn", "--factory", "toolkeep.app:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--http", HTTP_PROTOCOL,
            "--log-level", "warning"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
