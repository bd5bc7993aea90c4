"""WriteBatcher / BatchedTransport: what one pass of the event loop writes leaves together."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from toolkeep.serving.batching import BatchedTransport, WriteBatcher, batcher_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class RecordingTransport(asyncio.Transport):
    """Stands in for the event loop's socket transport (not our code): records calls."""

    def __init__(self, *, fail: bool = False) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False
        self.fail = fail

    def write(self, data: Any) -> None:
        if self.fail:
            raise RuntimeError("the handler is closed")
        self.writes.append(bytes(data))
        self.events.append("write")

    def close(self) -> None:
        self.closing = True
        self.events.append("close")

    def abort(self) -> None:
        self.closing = True
        self.events.append("abort")

    def write_eof(self) -> None:
        self.events.append("eof")

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 7


async def next_pass() -> None:
    """Let the loop run what was scheduled with call_soon (the flush) and come back."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)


def batched(raw: RecordingTransport) -> BatchedTransport:
    return BatchedTransport(raw, batcher_for(asyncio.get_running_loop()))


async def test_writes_of_one_pass_leave_as_one_write_per_connection_on_the_next_pass() -> None:
    a, b = RecordingTransport(), RecordingTransport()
    ta, tb = batched(a), batched(b)

    ta.write(b"HTTP/1.1 200 OK\r\n\r\n")
    tb.write(b"head-b|")
    ta.write(b"body-a")
    tb.write(b"body-b")
    assert a.writes == []
    assert b.writes == []

    await next_pass()

    assert a.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody-a"]
    assert b.writes == [b"head-b|body-b"]


async def test_close_writes_what_is_held_first_and_abort_drops_it() -> None:
    closed, aborted = RecordingTransport(), RecordingTransport()
    tc, ta = batched(closed), batched(aborted)
    tc.write(b"last words")
    ta.write(b"never sent")

    tc.close()
    ta.abort()
    await next_pass()

    assert closed.events == ["write", "close"]
    assert closed.writes == [b"last words"]
    assert aborted.events == ["abort"]
    assert aborted.writes == []


async def test_write_eof_sends_what_is_held_before_the_eof() -> None:
    raw = RecordingTransport()
    t = batched(raw)
    t.write(b"tail")

    t.write_eof()

    assert raw.events == ["write", "eof"]


async def test_a_write_to_a_closing_connection_is_dropped_without_error() -> None:
    raw = RecordingTransport()
    t = batched(raw)
    t.write(b"held")
    raw.closing = True  # the peer went away before the flush
    t.write(b"after close")

    await next_pass()

    assert raw.writes == []


async def test_one_failing_connection_does_not_hold_back_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken, fine = RecordingTransport(fail=True), RecordingTransport()
    batched(broken).write(b"x")
    batched(fine).write(b"y")

    with caplog.at_level(logging.DEBUG, logger="toolkeep.serving"):
        await next_pass()

    assert fine.writes == [b"y"]
    assert "write to a closing connection failed" in caplog.text


async def test_a_mutable_buffer_is_copied_when_written() -> None:
    raw = RecordingTransport()
    buffer = bytearray(b"first")

    batched(raw).write(buffer)
    buffer[:] = b"XXXXX"  # the caller may reuse its buffer once write() returns
    await next_pass()

    assert raw.writes == [b"first"]


async def test_the_write_buffer_size_counts_the_held_bytes() -> None:
    raw = RecordingTransport()
    t = batched(raw)
    t.writelines([b"abc", b"de"])

    assert t.get_write_buffer_size() == 7 + 5
    await next_pass()
    assert raw.writes == [b"abcde"]


async def test_each_loop_has_one_batcher() -> None:
    loop = asyncio.get_running_loop()

    assert batcher_for(loop) is batcher_for(loop)
    assert isinstance(batcher_for(loop), WriteBatcher)
