"""The parent's handle on one worker process: spawn, messages, memory, kill, reap.

Plain asyncio (no stream objects): the worker's stdout feeds a ``SubprocessProtocol`` that
cuts it into frames as bytes arrive and hands whole messages to the one waiting call, so a
message costs the parent one callback and one future, not a chain of stream reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import signal
import subprocess
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import toolkeep
from toolkeep.sandbox.pool.protocol import HEADER, ProtocolError, decode, encode, frame_size

log = logging.getLogger("toolkeep.sandbox.pool")

WORKER_MODULE: Final = "toolkeep.sandbox.pool.worker"
HAVE_PROC: Final = Path("/proc/self/status").exists()
STDIN: Final = 0
STDOUT: Final = 1
REAP_BOUND_S: Final = 10.0


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


class _Pipes(asyncio.SubprocessProtocol):
    """The worker's stdout cut into messages, and the end of the worker.

    Messages that arrived stay readable after the end (a result sent just before exiting is
    not lost); once they are read, ``receive`` raises the failure: ``WorkerGone``, or the
    ``ProtocolError`` of a frame that broke the protocol (nothing after it is read).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.buffer = bytearray()
        self.body_size: int | None = None  # of the frame whose header was read
        self.messages: deque[dict[str, Any]] = deque()
        self.failure: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.exited: asyncio.Future[None] = loop.create_future()

    def pipe_data_received(self, fd: int, data: bytes | bytearray) -> None:
        if fd != STDOUT or self.failure is not None:
            return
        self.buffer += data
        try:
            self._cut()
        except ProtocolError as exc:
            self.fail(exc)
        self._wake()

    def _cut(self) -> None:
        buffer = self.buffer
        while True:
            if self.body_size is None:
                if len(buffer) < HEADER.size:
                    return
                self.body_size = frame_size(bytes(buffer[: HEADER.size]))
                del buffer[: HEADER.size]
            if len(buffer) < self.body_size:
                return
            body = bytes(buffer[: self.body_size])
            del buffer[: self.body_size]
            self.body_size = None
            self.messages.append(decode(body))

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == STDOUT:
            self.fail(WorkerGone())

    def process_exited(self) -> None:
        self.fail(WorkerGone())
        if not self.exited.done():
            self.exited.set_result(None)

    def fail(self, failure: Exception) -> None:
        if self.failure is None:
            self.failure = failure
            self.buffer.clear()
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done() and (self.messages or self.failure):
            waiter.set_result(None)

    async def receive(self) -> dict[str, Any]:
        while not self.messages:
            if self.failure is not None:
                raise self.failure
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.messages.popleft()


class WorkerProcess:
    def __init__(self, transport: asyncio.SubprocessTransport, pipes: _Pipes) -> None:
        self.transport = transport
        self.pipes = pipes
        self.pid: int = transport.get_pid()
        self.kill_reason: str | None = None  # why we killed it; None while we have not
        self.calls = 0
        self.recycle_at: int | None = None  # set by the pool
        self._pidfd = _open_pidfd(self.pid)
        stdin = transport.get_pipe_transport(STDIN)
        if stdin is None or transport.get_pipe_transport(STDOUT) is None:
            raise WorkerStartError("a sandbox worker was started without pipes")
        self._stdin = cast(asyncio.WriteTransport, stdin)

    @classmethod
    async def spawn(cls, config: SpawnConfig, lodash: str) -> WorkerProcess:
        loop = asyncio.get_running_loop()
        transport, pipes = await loop.subprocess_exec(
            lambda: _Pipes(loop),
            *config.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=config.cwd,
            env=config.env,
            start_new_session=True,
        )
        worker = cls(transport, pipes)
        try:
            async with asyncio.timeout(config.start_timeout_s):
                worker.send({"t": "init", "lodash": lodash})
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
        code = self.transport.get_returncode()
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
        """Not killed by us, and not known to have ended."""
        return self.kill_reason is None and self.pipes.failure is None

    def running(self) -> bool:
        """``alive``, checked with the kernel now: a worker that died a moment ago (even
        if not yet reaped, or its pipes not yet seen closed) is not running."""
        if not self.alive:
            return False
        if self._pidfd is not None:
            with contextlib.suppress(OSError, ValueError):
                return not select.select([self._pidfd], [], [], 0)[0]  # readable = exited
        return self.resident_bytes() is not None

    def send(self, message: dict[str, Any]) -> None:
        """Queue one message for the worker (the transport writes it as the pipe drains)."""
        if self.pipes.failure is not None or self._stdin.is_closing():
            raise WorkerGone
        self._stdin.write(encode(message))

    async def receive(self) -> dict[str, Any]:
        """The next message; ``WorkerGone`` or ``ProtocolError`` once there is none."""
        return await self.pipes.receive()

    def resident_bytes(self) -> int | None:
        """VmRSS; None once the process has exited (a zombie has no VmRSS)."""
        if not HAVE_PROC:
            return 0 if self.transport.get_returncode() is None else None
        try:
            with open(f"/proc/{self.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def kill(self, reason: str) -> None:
        """SIGKILL; the first reason sticks, and a call waiting on the worker ends now.
        Through a pidfd where there is one, else by pid while it has not been reaped."""
        if self.kill_reason is None:
            self.kill_reason = reason
        with contextlib.suppress(OSError):
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            elif self.transport.get_returncode() is None:
                os.kill(self.pid, signal.SIGKILL)
        self.pipes.fail(WorkerGone())

    async def aclose(self, *, gentle_s: float = 0.0) -> None:
        """Close its stdin (an idle worker then exits by itself within ``gentle_s``), kill
        it if it is still there, reap it. Runs to the end even if the caller is cancelled."""
        await asyncio.shield(asyncio.ensure_future(self._close(gentle_s)))

    async def _close(self, gentle_s: float) -> None:
        if gentle_s > 0 and self.transport.get_returncode() is None:
            self._stdin.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(gentle_s):
                    await asyncio.shield(self.pipes.exited)
        self.kill(self.kill_reason or "closed")
        try:  # SIGKILL cannot be caught: the reaper reports the exit promptly
            async with asyncio.timeout(REAP_BOUND_S):
                await asyncio.shield(self.pipes.exited)
        except TimeoutError:
            log.error("sandbox worker %d was not reaped %g s after SIGKILL", self.pid, REAP_BOUND_S)
        self.transport.close()
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


def _open_pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux >= 5.3, or already gone
        return None
