"""JSON-RPC 2.0 envelope: parse and validate one message, build response bodies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

import orjson

from toolkeep.mcp.errors import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    McpProtocolError,
    invalid_request,
)

RequestId = str | int | float
_ID_TYPES = (str, int, float)


class Kind(Enum):
    """What a posted JSON-RPC message is."""

    REQUEST = "request"
    NOTIFICATION = "notification"
    RESPONSE = "response"


class Incoming:
    """One validated client message; ``params`` is always a dict ({} when absent)."""

    __slots__ = ("id", "kind", "method", "params")

    def __init__(
        self, kind: Kind, method: str | None, msg_id: RequestId | None, params: dict[str, Any]
    ) -> None:
        self.kind = kind
        self.method = method
        self.id = msg_id
        self.params = params


def parse_message(body: bytes) -> Incoming:
    """Decode a POST body into one message; raise a 400 McpProtocolError otherwise."""
    try:
        msg = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise McpProtocolError(400, PARSE_ERROR, "Parse error: body is not valid JSON") from None
    if type(msg) is not dict:
        if isinstance(msg, list):
            raise invalid_request(
                "Batch requests are not supported; send one JSON-RPC message per HTTP request"
            )
        raise invalid_request("Body must be a single JSON-RPC message object")
    if msg.get("jsonrpc") != "2.0":
        raise invalid_request('Invalid JSON-RPC message: "jsonrpc" must be "2.0"')
    method = msg.get("method")
    if method is None:
        return _response(msg)
    msg_id = msg.get("id")
    if type(msg_id) not in _ID_TYPES and "id" in msg:  # null, bool, object...
        raise invalid_request('"id" must be a string or a number')
    if type(method) is not str:
        raise McpProtocolError(400, INVALID_REQUEST, '"method" must be a string', request_id=msg_id)
    params = msg.get("params")
    if params is None:
        params = {}
    elif type(params) is not dict:
        raise McpProtocolError(400, INVALID_PARAMS, '"params" must be an object', request_id=msg_id)
    kind = Kind.REQUEST if "id" in msg else Kind.NOTIFICATION
    return Incoming(kind, method, msg_id, params)


def _response(msg: dict[str, Any]) -> Incoming:
    if "id" in msg and ("result" in msg or "error" in msg):
        return Incoming(Kind.RESPONSE, None, None, {})
    raise invalid_request("Body is not a JSON-RPC request, notification or response")


def _default(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def dumps(obj: Any) -> bytes:
    """Serialize to compact JSON bytes (Mappings and Sequences of any type allowed)."""
    return orjson.dumps(obj, default=_default)


def error_body(msg_id: RequestId | None, code: int, message: str, data: Any = None) -> bytes:
    """A JSON-RPC error response (``id`` null when the request id is unknown)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return dumps({"jsonrpc": "2.0", "id": msg_id, "error": error})
