"""Write coalescing: what one pass of the event loop writes leaves in one burst.

uvicorn writes a response in two ``transport.write`` calls (status line and headers, then
the body), each a ``send`` system call that, on loopback or a busy host, also wakes the
reader. Under load one pass of the event loop finishes many responses; ``WriteBatcher``
holds their bytes until the next pass (``loop.call_soon``) and then writes each
connection's bytes with a single call. A response therefore leaves as one segment, and
the peer is woken once per burst rather than once per write: measured on 2 cores, the
server's CPU per ``tools/list`` fell from ~115 us to ~80 us (docs/performance.md).

Order within a connection is kept; nothing is held past the next pass of the loop, and
``close``/``write_eof`` write what is held first.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from toolkeep.serving.loops import PerLoop

log = logging.getLogger("toolkeep.serving")


class WriteBatcher:
    """Bytes written during this pass of the loop, per transport, in order."""

    __slots__ = ("_loop", "_pending")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)  # a strong one would keep its batcher_for entry forever
        self._pending: dict[asyncio.WriteTransport, list[bytes]] = {}

    def add(self, transport: asyncio.WriteTransport, data: bytes) -> None:
        pending = self._pending
        if not pending:
            loop = self._loop()
            if loop is None:  # no loop to flush on: write now
                _write(transport, [data])
                return
            loop.call_soon(self.flush)
        chunks = pending.get(transport)
        if chunks is None:
            pending[transport] = [data]
        else:
            chunks.append(data)

    def held(self, transport: asyncio.WriteTransport) -> int:
        """How many bytes are held for ``transport``."""
        return sum(map(len, self._pending.get(transport, ())))

    def flush(self) -> None:
        """Write everything held: one ``write`` per transport."""
        pending, self._pending = self._pending, {}
        for transport, chunks in pending.items():
            _write(transport, chunks)

    def flush_one(self, transport: asyncio.WriteTransport) -> None:
        """Write what is held for ``transport`` now (before it closes)."""
        chunks = self._pending.pop(transport, None)
        if chunks:
            _write(transport, chunks)

    def discard(self, transport: asyncio.WriteTransport) -> None:
        """Forget what is held for ``transport`` (it is being aborted)."""
        self._pending.pop(transport, None)


def _write(transport: asyncio.WriteTransport, chunks: list[bytes]) -> None:
    if transport.is_closing():
        return  # as asyncio does for a write after close: the bytes have nowhere to go
    try:
        transport.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))
    except Exception:  # one broken connection must not keep the others' bytes back
        log.debug("write to a closing connection failed", exc_info=True)


class BatchedTransport(asyncio.Transport):
    """A transport whose writes go through ``batcher``; everything else goes straight on."""

    __slots__ = ("_batcher", "_transport")

    def __init__(self, transport: asyncio.Transport, batcher: WriteBatcher) -> None:
        super().__init__()
        self._transport = transport
        self._batcher = batcher

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._transport.is_closing():
            return
        # A caller may reuse a mutable buffer once write() returns: hold a copy of it.
        self._batcher.add(self._transport, data if type(data) is bytes else bytes(data))

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def write_eof(self) -> None:
        self._batcher.flush_one(self._transport)
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        self._batcher.flush_one(self._transport)
        self._transport.close()

    def abort(self) -> None:
        self._batcher.discard(self._transport)
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._batcher.held(self._transport)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)


# The one batcher of a loop: every connection the loop serves shares it.
batcher_for = PerLoop(WriteBatcher)
