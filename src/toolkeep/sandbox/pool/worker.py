"""A sandbox worker process: ``python -m toolkeep.sandbox.pool.worker``, started by the pool.

It talks to the pool over its stdin/stdout pipes only (``protocol``), runs one call at a
time and keeps no state between calls: each call gets a fresh single-use context. A call's
``env`` arrives with the call and is dropped with it.

Pre-warming: right after answering a call the worker builds the next context (the glue's
small core, about 0.25 ms; its other parts and the ``sdk.db`` client are parsed on first
use). If no call arrives within ``IDLE_BEFORE_LODASH_S`` it also evaluates lodash into it
(about 9 ms); under load that step is skipped and lodash loads on first use by a tool, so
back-to-back calls never wait for a lodash no one asked for.

Hardening, before the engine is imported: ``RLIMIT_AS`` 1 GiB, no core dumps, SIGKILL when
the parent dies, stdin/stdout/stderr pointed at /dev/null (the protocol uses private
duplicates) and every other inherited descriptor closed. The pool also starts it with an
empty environment, in an empty directory, in its own session, with stderr discarded.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import select
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from toolkeep.sandbox.pool.protocol import (
    encode,
    invocation_from,
    read_frame,
    result_message,
)

if TYPE_CHECKING:
    from toolkeep.sandbox.engine import HostOutcome, HostRequest

ADDRESS_SPACE_LIMIT: Final = 1024 * 1024 * 1024
PR_SET_PDEATHSIG: Final = 1
IDLE_BEFORE_LODASH_S: Final = 0.025


class Channel:
    """The worker's end of the pipes: blocking reads and writes of whole messages."""

    def __init__(self, reader_fd: int, writer: BinaryIO) -> None:
        self.reader_fd = reader_fd
        self.writer = writer

    def receive(self) -> dict[str, Any] | None:
        return read_frame(self.reader_fd)

    def waiting(self, timeout_s: float) -> bool:
        """Whether a message arrives within ``timeout_s``."""
        readable, _, _ = select.select([self.reader_fd], [], [], timeout_s)
        return bool(readable)

    def send(self, message: dict[str, Any]) -> None:
        self.writer.write(encode(message))
        self.writer.flush()

    def host_calls(self, requests: Sequence[HostRequest], remaining_s: float) -> list[HostOutcome]:
        """The engine's ``HostCalls``: ask the parent and block for its answer. A parent that
        went away or answered out of turn ends the worker (``SystemExit`` is not caught by
        the engine)."""
        batch = [{"kind": request.kind, "payload": request.payload} for request in requests]
        self.send({"t": "host", "requests": batch, "remaining_s": remaining_s})
        reply = self.receive()
        outcomes = reply.get("outcomes") if reply is not None and reply["t"] == "host" else None
        if not isinstance(outcomes, list) or len(outcomes) != len(requests):
            raise SystemExit(3)
        return outcomes


def harden() -> Channel:
    """Limits and descriptors; returns the protocol channel on private descriptors."""
    _lower_limit(resource.RLIMIT_AS, ADDRESS_SPACE_LIMIT)
    _lower_limit(resource.RLIMIT_CORE, 0)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    reader_fd, writer_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    low, high = sorted((reader_fd, writer_fd))
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, os.sysconf("SC_OPEN_MAX"))
    return Channel(reader_fd, os.fdopen(writer_fd, "wb"))


def _lower_limit(limit: int, value: int) -> None:
    _, hard = resource.getrlimit(limit)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(limit, (value, value))


def serve(channel: Channel) -> None:
    init = channel.receive()
    if init is None or init["t"] != "init":
        raise SystemExit(2)
    from toolkeep.sandbox import engine  # imported here: quickjs loads under the limits

    lodash = init.get("lodash")
    if not isinstance(lodash, str):
        raise SystemExit(2)
    del init
    warm = engine.WarmContext(lodash)
    warm.load_lodash()  # checks the source once, at start
    channel.send({"t": "ready", "pid": os.getpid()})
    while True:
        if not warm.lodash_loaded and not channel.waiting(IDLE_BEFORE_LODASH_S):
            warm.load_lodash()
        message = channel.receive()
        if message is None or message["t"] != "call":
            return  # the pool closed our stdin (or spoke out of turn): leave
        invocation, budget_s = invocation_from(message)
        del message
        result = engine.execute(
            invocation, warm=warm, host_calls=channel.host_calls, budget_s=budget_s
        )
        channel.send(result_message(result))
        del invocation, warm, result  # the env and the used context go before the next call
        warm = engine.WarmContext(lodash)


def main() -> None:
    """Exit codes: 0 the pool closed the pipe, 2 or 3 a protocol breach, 1 anything else.
    Nothing is printed, ever: a traceback could quote a tenant's data."""
    code = 1
    try:
        serve(harden())
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        code = 1
    os._exit(code)


if __name__ == "__main__":
    main()
