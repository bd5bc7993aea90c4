from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from toolkeep.settings import Settings

DEADLINE = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(proc: subprocess.Popen[str], url: str) -> None:
    """Poll until the server answers 200, it dies, or the deadline passes."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve exited early with {proc.returncode}"
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling interval, not synchronization
    raise AssertionError(f"{url} did not answer 200 within {DEADLINE} s")


def test_serve_migrates_answers_healthz_and_says_how_to_create_the_first_user(
    settings: Settings,
) -> None:
    assert settings.database_url is not None
    port = _free_port()
    env = {
        **os.environ,
        "TOOLKEEP_DATA_DIR": str(settings.data_dir),
        "TOOLKEEP_DATABASE_URL": settings.database_url,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkeep.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_healthy(proc, f"http://127.0.0.1:{port}/healthz")
    finally:
        proc.terminate()
        stdout, stderr = proc.communicate(timeout=15)

    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert proc.returncode in (0, -signal.SIGTERM), stderr
    assert "Application shutdown complete" in stderr
    assert f"http://127.0.0.1:{port}" in stdout
    assert "toolkeep users create you@example.com --admin --password-stdin" in stdout
    assert "toolkeep tokens create --user you@example.com --label cli" in stdout
    assert "Traceback" not in stderr
