"""The pipe protocol between the pool (parent) and a worker: length-prefixed JSON frames.

A frame is a 4-byte big-endian length and that many bytes of JSON: one object whose ``"t"``
names the message.

- parent → worker: ``init {lodash}`` once, ``call {invocation, budget_s}``, and
  ``host {outcomes}`` answering a ``host`` request.
- worker → parent: ``ready`` once warm, ``host {requests}`` (``sdk.http`` and ``sdk.db``
  calls, the worker blocks for the answer), ``result {result}`` ending a call.

The parent treats every worker message as untrusted input: sizes are capped and the result
is validated field by field before it becomes a ``ToolRunResult``.
"""

from __future__ import annotations

import json
import os
import struct
import uuid
from typing import Any, Final, get_args

import orjson

from toolkeep.sandbox.runner import ErrorKind, ToolInvocation, ToolRunResult

HEADER: Final = struct.Struct(">I")
MAX_FRAME: Final = 128 * 1024 * 1024  # a 4 MB result plus 1 MB of console, escaped, fits
_KINDS: Final = frozenset(get_args(ErrorKind))


class ProtocolError(Exception):
    """A frame or message that does not follow the protocol."""


def encode(message: dict[str, Any]) -> bytes:
    """One frame. orjson, or the standard library for what orjson refuses (integers above
    64 bits, lone surrogates), which it writes as plain JSON that both sides can read."""
    try:
        body = orjson.dumps(message)
    except TypeError:
        body = json.dumps(message, ensure_ascii=True, allow_nan=False).encode("ascii")
    if len(body) > MAX_FRAME:
        raise ProtocolError(f"a message of {len(body)} bytes is over the frame limit")
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            message = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError("a frame is not JSON") from exc
    if not isinstance(message, dict) or not isinstance(message.get("t"), str):
        raise ProtocolError("a message is not an object with a type")
    return message


def frame_size(header: bytes) -> int:
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise ProtocolError(f"a frame of {size} bytes is over the limit")
    return int(size)


def read_exactly(fd: int, size: int) -> bytes | None:
    """Blocking, unbuffered read (so ``select`` on ``fd`` tells whether a message waits);
    None at end of input."""
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> dict[str, Any] | None:
    """Blocking read of one message (the worker's side); None at end of input."""
    header = read_exactly(fd, HEADER.size)
    body = None if header is None else read_exactly(fd, frame_size(header))
    return None if body is None else decode(body)


def call_message(invocation: ToolInvocation, budget_s: float) -> dict[str, Any]:
    return {
        "t": "call",
        "server_id": str(invocation.server_id),
        "tool_name": invocation.tool_name,
        "code": invocation.code,
        "arguments": invocation.arguments,
        "env": dict(invocation.env),
        "timeout_s": invocation.timeout_s,
        "memory_limit_bytes": invocation.memory_limit_bytes,
        "budget_s": budget_s,
    }


def invocation_from(message: dict[str, Any]) -> tuple[ToolInvocation, float]:
    invocation = ToolInvocation(
        server_id=uuid.UUID(message["server_id"]),
        tool_name=str(message["tool_name"]),
        code=str(message["code"]),
        arguments=dict(message["arguments"]),
        env={str(k): str(v) for k, v in dict(message["env"]).items()},
        timeout_s=float(message["timeout_s"]),
        memory_limit_bytes=int(message["memory_limit_bytes"]),
    )
    return invocation, float(message["budget_s"])


def result_message(result: ToolRunResult) -> dict[str, Any]:
    return {
        "t": "result",
        "value": result.value,
        "undefined": result.undefined,
        "error": result.error,
        "error_kind": result.error_kind,
        "console": list(result.console),
        "duration_ms": result.duration_ms,
    }


def result_from(message: dict[str, Any]) -> ToolRunResult:
    """Validate a worker's result; anything malformed is a ``ProtocolError``."""
    error, kind, console = message.get("error"), message.get("error_kind"), message.get("console")
    undefined, duration = message.get("undefined"), message.get("duration_ms")
    if not (error is None or isinstance(error, str)) or not (kind is None or kind in _KINDS):
        raise ProtocolError("a result has a malformed error")
    if not isinstance(console, list) or not all(isinstance(line, str) for line in console):
        raise ProtocolError("a result has malformed console lines")
    if not isinstance(undefined, bool) or not isinstance(duration, int | float):
        raise ProtocolError("a result has malformed flags")
    return ToolRunResult(
        value=message.get("value"),
        undefined=undefined,
        error=error,
        error_kind=kind,
        console=tuple(console),
        duration_ms=float(duration),
    )
