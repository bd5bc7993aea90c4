"""The parent's handle on one worker process: spawn, messages, memory, kill, reap."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import anyio
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

import toolkeep
from toolkeep.sandbox.pool.protocol import HEADER, ProtocolError, decode, encode, frame_size

log = logging.getLogger("toolkeep.sandbox.pool")

WORKER_MODULE: Final = "toolkeep.sandbox.pool.worker"
HAVE_PROC: Final = Path("/proc/self/status").exists()
_CHANNEL_ERRORS: Final = (
    anyio.EndOfStream,
    anyio.IncompleteRead,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    OSError,
)


class WorkerStartError(RuntimeError):
    """A worker did not start (or did not get warm) within its time."""


class WorkerGone(Exception):
    """The worker's pipes closed: it exited or was killed."""


@dataclass(frozen=True, slots=True)
class SpawnConfig:
    """How workers start: a minimal environment of our own (nothing of the parent's), an
    empty private directory, the same interpreter and code as the parent."""

    command: tuple[str, ...]
    env: dict[str, str]
    cwd: str
    start_timeout_s: float

    @classmethod
    def create(cls, python: str, start_timeout_s: float) -> SpawnConfig:
        code_root = str(Path(toolkeep.__file__).resolve().parent.parent)
        return cls(
            command=(python, "-s", "-P", "-m", WORKER_MODULE),
            env={"PYTHONPATH": code_root, "LC_ALL": "C.UTF-8"},
            cwd=tempfile.mkdtemp(prefix="toolkeep-sandbox-"),
            start_timeout_s=start_timeout_s,
        )


class WorkerProcess:
    def __init__(self, process: Process) -> None:
        self.process = process
        self.pid = process.pid
        self.kill_reason: str | None = None  # why we killed it; None while we have not
        self.calls = 0
        self._pidfd = _open_pidfd(process.pid)
        if process.stdin is None or process.stdout is None:
            raise WorkerStartError("a sandbox worker was started without pipes")
        self._stdin = process.stdin
        self._stdout = BufferedByteReceiveStream(process.stdout)

    @classmethod
    async def spawn(cls, config: SpawnConfig, lodash: str) -> WorkerProcess:
        process = await anyio.open_process(
            list(config.command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=config.cwd,
            env=config.env,
            start_new_session=True,
        )
        worker = cls(process)
        try:
            with anyio.fail_after(config.start_timeout_s):
                await worker.send({"t": "init", "lodash": lodash})
                ready = await worker.receive()
            if ready["t"] != "ready":
                raise ProtocolError(f"expected ready, got {ready['t']!r}")
        except (TimeoutError, WorkerGone, ProtocolError) as exc:
            await worker.aclose()
            raise WorkerStartError(worker.start_failure(exc, config)) from None
        except BaseException:  # cancelled: no process left behind
            await worker.aclose()
            raise
        return worker

    def start_failure(self, exc: Exception, config: SpawnConfig) -> str:
        code = self.process.returncode
        if isinstance(exc, TimeoutError):
            return f"a sandbox worker was not ready within {config.start_timeout_s:g} s"
        if code is not None and code != 0:
            return (
                f"a sandbox worker exited with code {code} before it was ready "
                f"(command: {' '.join(config.command)}; is toolkeep importable there?)"
            )
        return f"a sandbox worker failed to start: {exc}"

    @property
    def alive(self) -> bool:
        return self.kill_reason is None and self.process.returncode is None

    async def send(self, message: dict[str, Any]) -> None:
        try:
            await self._stdin.send(encode(message))
        except _CHANNEL_ERRORS as exc:
            raise WorkerGone from exc

    async def receive(self) -> dict[str, Any]:
        try:
            size = frame_size(await self._stdout.receive_exactly(HEADER.size))
            return decode(await self._stdout.receive_exactly(size))
        except _CHANNEL_ERRORS as exc:
            raise WorkerGone from exc

    def resident_bytes(self) -> int | None:
        """VmRSS; None once the process has exited (a zombie has no VmRSS)."""
        if not HAVE_PROC:
            return 0 if self.process.returncode is None else None
        try:
            status = Path(f"/proc/{self.pid}/status").read_bytes()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith(b"VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    def kill(self, reason: str) -> None:
        """SIGKILL; the first reason sticks. Through a pidfd where there is one, else by pid
        while asyncio has not reaped it (``Popen.kill`` would reap it behind asyncio's back)."""
        if self.kill_reason is None:
            self.kill_reason = reason
        with contextlib.suppress(OSError):
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            elif self.process.returncode is None:
                os.kill(self.pid, signal.SIGKILL)

    async def aclose(self, *, gentle_s: float = 0.0) -> None:
        """Close its stdin (an idle worker then exits by itself within ``gentle_s``), kill
        it if it is still there, reap it."""
        with anyio.CancelScope(shield=True):
            if gentle_s > 0 and self.process.returncode is None:
                with contextlib.suppress(*_CHANNEL_ERRORS):
                    await self._stdin.aclose()
                with anyio.move_on_after(gentle_s):
                    await self.process.wait()
            self.kill(self.kill_reason or "closed")
            with contextlib.suppress(*_CHANNEL_ERRORS):
                await self.process.aclose()
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None


def _open_pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux >= 5.3, or already gone
        return None
