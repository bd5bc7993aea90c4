"""Start one target as its own uvicorn process, wait until it answers, stop it afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from toolkeep.serving import HTTP_PROTOCOL

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class ServerStartError(RuntimeError):
    """The target exited or never answered; the message carries its log tail."""


@dataclass(frozen=True, slots=True)
class RunningServer:
    pid: int
    port: int
    log_file: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# --http choices: the HTTP layer every target runs on, Toolkeep's by default (as `toolkeep
# serve` runs), or uvicorn's stock httptools protocol.
HTTP_LAYERS = {"toolkeep": HTTP_PROTOCOL, "httptools": "httptools"}


def uvicorn_argv(app_args: Sequence[str], port: int, http: str = "toolkeep") -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", *app_args,
        "--host", HOST, "--port", str(port),
        "--loop", "uvloop", "--http", HTTP_LAYERS[http], "--workers", "1",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log_file: Path) -> None:
    """Poll ``url`` until any HTTP answer comes back (uvicorn only accepts after startup)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(timeout=2.0) as client:
        while True:
            if proc.poll() is not None:
                raise ServerStartError(
                    f"server exited with {proc.returncode} before it was ready:\n"
                    + _log_tail(log_file)
                )
            try:
                client.get(url)
                return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"no answer from {url} within {READY_TIMEOUT_S:.0f}s:\n" + _log_tail(log_file)
                )
            time.sleep(0.05)  # poll interval, bounded by the deadline above


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def run_server(
    app_args: Sequence[str],
    *,
    env: Mapping[str, str],
    ready_path: str,
    log_file: Path,
    port: int | None = None,
    http: str = "toolkeep",
) -> Iterator[RunningServer]:
    """Run ``uvicorn <app_args>`` on a free loopback port for the duration of the block."""
    port = port or free_port()
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "BENCH_BASE_URL": f"http://{HOST}:{port}",
        **env,
    }
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            uvicorn_argv(app_args, port, http), cwd=REPO_ROOT, env=full_env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_ready(proc, f"http://{HOST}:{port}{ready_path}", log_file)
        yield RunningServer(pid=proc.pid, port=port, log_file=log_file)
    finally:
        _stop(proc)
