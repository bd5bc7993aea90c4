"""``ProcessPoolRunner``: tool calls in a pool of QuickJS worker processes (asyncio only).

Each worker runs one call at a time in a fresh single-use context it built while idle. The
parent (this object, on the server's event loop) hands calls to idle workers in FIFO order,
performs their ``sdk.http`` requests through the SSRF-guarded client and their ``sdk.db``
statements (same address rules), and supervises every call:

- deadline: the call's ``timeout_s`` counts from ``run`` (queueing included); the worker
  enforces it itself, and the parent SIGKILLs the worker ``grace_s`` after it;
- memory: the worker's engine limit, plus the parent polling the busy workers' RSS every
  50 ms (one timer for the pool) and SIGKILLing one above ``rss_limit_bytes`` (default:
  baseline + call limit + 64 MiB);
- a worker that dies mid-call is a ``crash`` result; a caller that goes away (cancellation)
  kills its worker too, its state being unknown.

A worker is recycled (replaced by a new process) after ``recycle_after`` calls, each one a
little earlier than that at random, so that workers kept in step by the FIFO hand-off do not
all restart at once. Every worker killed, lost or recycled is replaced in the background,
so the pool keeps its size and other calls are unaffected.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Final

import anyio

from toolkeep.sandbox.db import DbPolicy
from toolkeep.sandbox.glue import LODASH_PATH, load_lodash
from toolkeep.sandbox.http import HttpPolicy
from toolkeep.sandbox.pool.hostcalls import HostCallHandler
from toolkeep.sandbox.pool.idle import IdleQueue, timed_out, verdict
from toolkeep.sandbox.pool.process import SpawnConfig, WorkerGone, WorkerProcess
from toolkeep.sandbox.pool.protocol import ProtocolError, call_message, result_from
from toolkeep.sandbox.runner import ToolInvocation, ToolRunResult

log = logging.getLogger("toolkeep.sandbox.pool")

RSS_POLL_S: Final = 0.05
RSS_HEADROOM: Final = 64 * 1024 * 1024  # over the call's engine limit, before the kill
RESPAWN_BACKOFF_S: Final = (0.1, 30.0)
RECYCLE_AFTER: Final = 10_000  # calls; a worker's memory measured flat over 6000 calls


class RunnerClosed(RuntimeError):
    """``run`` was called after ``aclose``."""


class ProcessPoolRunner:
    """``http_policy`` (default: ``HttpPolicy()``) governs ``sdk.http``, ``db_policy``
    ``sdk.db`` (default: ``DbPolicy()`` opening the same ``allow_networks`` as the HTTP
    policy: an administrator allows a network to tools, whatever they speak to it)."""

    def __init__(
        self,
        size: int | None = None,
        *,
        lodash_path: Path | str = LODASH_PATH,
        http_policy: HttpPolicy | None = None,
        db_policy: DbPolicy | None = None,
        grace_s: float = 2.0,
        rss_limit_bytes: int | None = None,
        recycle_after: int | None = RECYCLE_AFTER,
        start_timeout_s: float = 30.0,
        python: str = sys.executable,
    ) -> None:
        self.size = size if size is not None else (os.cpu_count() or 1)
        if self.size < 1:
            raise ValueError("size must be at least 1")
        if grace_s < 0 or (recycle_after is not None and recycle_after < 1):
            raise ValueError("grace_s must not be negative, recycle_after must be positive")
        self.lodash_path = Path(lodash_path)
        self.http_policy = http_policy or HttpPolicy()
        self.db_policy = db_policy or DbPolicy(allow_networks=self.http_policy.allow_networks)
        self.grace_s = grace_s
        self.rss_limit_bytes = rss_limit_bytes
        self.recycle_after = recycle_after
        self.start_timeout_s = start_timeout_s
        self.python = python
        self.baseline_rss = 0
        self._config: SpawnConfig | None = None
        self._lodash = ""
        self._workers: set[WorkerProcess] = set()
        self._idle: IdleQueue[WorkerProcess] = IdleQueue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: dict[WorkerProcess, int] = {}  # busy worker -> its RSS limit
        self._memory_poll: asyncio.TimerHandle | None = None
        self._changed: asyncio.Event | None = None
        self._start_lock: asyncio.Lock | None = None
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """The live workers' process ids (for tests and health checks)."""
        return sorted(worker.pid for worker in self._workers)

    @property
    def idle_count(self) -> int:
        return len(self._idle)

    async def start(self) -> None:
        """Spawn the workers and wait until each is warm. Raises ``LodashMissing`` when
        lodash is not installed and ``WorkerStartError`` when a worker does not start."""
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self._closed:
                raise RunnerClosed("The tool runner is closed.")
            if self._config is not None:
                return
            self._lodash = load_lodash(self.lodash_path)
            self._changed = asyncio.Event()
            config = SpawnConfig.create(self.python, self.start_timeout_s)
            try:
                workers = await self._spawn_all(config)
            except BaseException:
                shutil.rmtree(config.cwd, ignore_errors=True)
                raise
            self._config = config
            self.baseline_rss = max(worker.resident_bytes() or 0 for worker in workers)
            for worker in workers:
                self._add(worker)

    async def _spawn_all(self, config: SpawnConfig) -> list[WorkerProcess]:
        workers: list[WorkerProcess] = []

        async def one() -> None:
            workers.append(await WorkerProcess.spawn(config, self._lodash))

        try:
            async with anyio.create_task_group() as group:
                for _ in range(self.size):
                    group.start_soon(one)
        except BaseException as exc:
            for worker in workers:
                await worker.aclose()
            if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) >= 1:
                raise exc.exceptions[0] from None
            raise
        return workers

    async def run(self, invocation: ToolInvocation) -> ToolRunResult:
        if self._closed:
            raise RunnerClosed("The tool runner is closed.")
        if self._config is None:
            await self.start()
        started = time.monotonic()
        deadline = started + invocation.timeout_s
        result: ToolRunResult | None = None
        while result is None:
            worker = await self._acquire(deadline)
            if worker is None:
                result = timed_out(invocation, queued=self.size)
                break
            try:
                result = await self._dispatch(worker, invocation, deadline)
            except BaseException:  # cancelled (the client went away): its state is unknown
                self._retire(worker, "cancelled")
                raise
            self._release(worker)  # None: it was dead before the call reached it; next one
        return replace(result, duration_ms=(time.monotonic() - started) * 1000)

    async def _acquire(self, deadline: float) -> WorkerProcess | None:
        while True:
            worker = await self._idle.get(deadline - time.monotonic())
            if worker is None:
                return None
            if worker.running():
                return worker
            self._retire(worker, "crash")  # it died while idle

    async def _dispatch(
        self, worker: WorkerProcess, invocation: ToolInvocation, deadline: float
    ) -> ToolRunResult | None:
        """The call's result; None when the worker was found dead on delivery."""
        try:
            worker.send(call_message(invocation, deadline - time.monotonic()))
        except WorkerGone:
            worker.kill("crash")
            return None
        return await self._supervise(worker, invocation, deadline)

    async def _supervise(
        self, worker: WorkerProcess, invocation: ToolInvocation, deadline: float
    ) -> ToolRunResult:
        """Converse with the worker under the watchdogs: a timer that kills it at the
        deadline + grace, and the pool's RSS poll (``_poll_memory``) while it is busy."""
        loop = asyncio.get_running_loop()
        overdue = loop.call_later(
            max(0.0, deadline + self.grace_s - time.monotonic()), worker.kill, "timeout"
        )
        self._busy[worker] = self.rss_limit(invocation)
        if self._memory_poll is None:
            self._memory_poll = loop.call_later(RSS_POLL_S, self._poll_memory)
        try:
            outcome = await self._converse(worker, invocation, deadline)
        finally:
            overdue.cancel()
            del self._busy[worker]
        if outcome is not None:
            return outcome
        worker.kill("crash")  # the first reason sticks
        if worker.kill_reason != "timeout":
            log.warning("sandbox worker %d ended mid-call (%s)", worker.pid, worker.kill_reason)
        return verdict(worker.kill_reason, invocation)

    async def _converse(
        self, worker: WorkerProcess, invocation: ToolInvocation, deadline: float
    ) -> ToolRunResult | None:
        """Answer the call's host requests, return its result; None: the worker was lost."""
        host: HostCallHandler | None = None
        try:
            while True:
                message = await worker.receive()
                if message["t"] == "result":
                    return result_from(message)
                if message["t"] != "host":
                    raise ProtocolError(f"unexpected message {message['t']!r}")
                if host is None:
                    host = HostCallHandler(self.http_policy, self.db_policy, deadline)
                worker.send({"t": "host", "outcomes": await host.answer(message)})
        except WorkerGone:
            return None
        except ProtocolError as exc:
            log.warning("sandbox worker %d broke the protocol (%s); killing it", worker.pid, exc)
            worker.kill("crash")
            return None

    def rss_limit(self, invocation: ToolInvocation) -> int:
        """``rss_limit_bytes`` if set, else the workers' baseline + the call's engine limit +
        64 MiB (baseline + 128 MiB for the default 64 MB)."""
        if self.rss_limit_bytes is not None:
            return self.rss_limit_bytes
        return self.baseline_rss + invocation.memory_limit_bytes + RSS_HEADROOM

    def _poll_memory(self) -> None:
        """Every ``RSS_POLL_S`` while any call runs: kill a busy worker above its budget
        (its call ends at once) or found gone."""
        self._memory_poll = None
        for worker, limit in list(self._busy.items()):
            rss = worker.resident_bytes()
            if rss is None:
                worker.kill("crash")
            elif rss > limit:
                log.warning("sandbox worker %d used %d MiB; killing it", worker.pid, rss >> 20)
                worker.kill("memory")
        if self._busy and not self._closed:
            self._memory_poll = asyncio.get_running_loop().call_later(RSS_POLL_S, self._poll_memory)

    def _release(self, worker: WorkerProcess) -> None:
        worker.calls += 1
        if not worker.alive or self._closed:
            self._retire(worker, "crash")
        elif worker.recycle_at is not None and worker.calls >= worker.recycle_at:
            self._retire(worker, "recycled")
        else:
            self._idle.put(worker)

    def _add(self, worker: WorkerProcess) -> None:
        if self.recycle_after is not None:  # up to 10 % early: workers do not retire together
            worker.recycle_at = self.recycle_after - random.randrange(self.recycle_after // 10 + 1)
        self._workers.add(worker)
        self._idle.put(worker)
        self._notify()

    def _retire(self, worker: WorkerProcess, reason: str) -> None:
        """Kill ``worker`` now; reap it and spawn its replacement in the background."""
        self._workers.discard(worker)
        worker.kill(reason)
        task = asyncio.get_running_loop().create_task(self._replace(worker))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._notify()

    async def _replace(self, old: WorkerProcess) -> None:
        await old.aclose()
        delay, longest = RESPAWN_BACKOFF_S
        while not self._closed and self._config is not None:
            try:
                worker = await WorkerProcess.spawn(self._config, self._lodash)
            except Exception as exc:
                log.error("could not replace a sandbox worker (%s); retrying in %g s", exc, delay)
                await anyio.sleep(delay)
                delay = min(delay * 2, longest)
                continue
            if self._closed:
                await worker.aclose()
            else:
                self._add(worker)
            return

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait_full(self) -> None:
        """Until every slot has a live worker again (after kills and respawns)."""
        while len(self._workers) < self.size and not self._closed and self._changed:
            await self._changed.wait()

    async def aclose(self) -> None:
        """Stop every worker (idle ones leave by themselves, busy ones are killed; their
        calls answer ``crash``), cancel respawns, remove the working directory."""
        self._closed = True
        if self._memory_poll is not None:
            self._memory_poll.cancel()
            self._memory_poll = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        idle = self._idle.drain()
        busy = [worker for worker in self._workers if worker not in idle]
        for worker in busy:
            worker.kill("closed")
        self._workers.clear()
        async with anyio.create_task_group() as group:
            for worker in idle + busy:
                group.start_soon(functools.partial(worker.aclose, gentle_s=1.0))
        if self._config is not None:
            shutil.rmtree(self._config.cwd, ignore_errors=True)
        self._notify()
