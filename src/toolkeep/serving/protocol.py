"""``HttpProtocol``: uvicorn's httptools HTTP/1.1 protocol, with coalesced writes and one
keep-alive timer per event loop."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from toolkeep.serving.batching import BatchedTransport, batcher_for
from toolkeep.serving.keepalive import IdleConnections, idle_connections


class HttpProtocol(HttpToolsProtocol):
    """Parsing, pipelining, flow control and the ASGI cycle are uvicorn's. Two things differ:

    - socket writes go through the loop's ``WriteBatcher`` (see ``batching``);
    - an idle keep-alive connection is closed by the loop's ``IdleConnections`` sweep
      rather than by a timer armed after every response (see ``keepalive``).
    """

    _idle: IdleConnections

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # flow control keeps the real transport
        self.transport = BatchedTransport(transport, batcher_for(self.loop))
        self._idle = idle_connections(self.loop)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._idle.disarm(self)

    def _unset_keepalive_if_required(self) -> None:
        self._idle.disarm(self)

    def on_response_complete(self) -> None:
        """uvicorn's, but the keep-alive timeout is armed in ``IdleConnections``."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._idle.disarm(self)
        self.flow.resume_reading()
        if self.pipeline:  # the next pipelined request, queued while this one ran
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self._idle.arm(self, self.loop.time(), self.timeout_keep_alive)
