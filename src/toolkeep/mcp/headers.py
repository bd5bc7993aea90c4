"""One-pass extraction of the request headers the engine reads, and their small checks."""

from __future__ import annotations

import base64
import binascii
from typing import Final

from toolkeep.mcp.asgi import Scope

_DEFAULT_PORTS: Final = {"http": ":80", "https": ":443"}


class RequestHeaders:
    """The headers that matter to MCP, as raw bytes (names lower-case per ASGI).

    ``duplicated`` names a routing header (MCP-Protocol-Version, Mcp-Method, Mcp-Name)
    that appeared more than once.
    """

    __slots__ = (
        "accept",
        "content_length",
        "content_type",
        "duplicated",
        "host",
        "mcp_method",
        "mcp_name",
        "origin",
        "protocol_version",
        "session_id",
    )

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        accept = length = ctype = dup = host = method = name_ = origin = version = sid = None
        for name, value in raw:
            if name == b"content-type":
                ctype = value
            elif name == b"accept":
                accept = value
            elif name == b"host":
                host = value
            elif name == b"content-length":
                length = value
            elif name == b"origin":
                origin = value
            elif name[:4] != b"mcp-":
                continue
            elif name == b"mcp-session-id":
                sid = value
            elif name == b"mcp-protocol-version":
                dup = name if version is not None else dup
                version = value
            elif name == b"mcp-method":
                dup = name if method is not None else dup
                method = value
            elif name == b"mcp-name":
                dup = name if name_ is not None else dup
                name_ = value
        self.accept: bytes | None = accept
        self.content_length: bytes | None = length
        self.content_type: bytes | None = ctype
        self.duplicated: bytes | None = dup
        self.host: bytes | None = host
        self.mcp_method: bytes | None = method
        self.mcp_name: bytes | None = name_
        self.origin: bytes | None = origin
        self.protocol_version: bytes | None = version
        self.session_id: bytes | None = sid


def as_text(value: bytes | None) -> str | None:
    """A header value as trimmed text."""
    return None if value is None else value.decode("latin-1").strip()


def accepts(accept: bytes | None) -> tuple[bool, bool]:
    """Whether the Accept header allows (application/json, text/event-stream)."""
    if accept is None:
        return True, True
    value = accept.lower()
    wildcard = b"*/*" in value
    json_ok = wildcard or b"application/json" in value or b"application/*" in value
    sse_ok = wildcard or b"text/event-stream" in value or b"text/*" in value
    return json_ok, sse_ok


def is_json_content_type(content_type: bytes | None) -> bool:
    """True for ``application/json`` with or without parameters."""
    if content_type is None:
        return False
    return content_type.partition(b";")[0].strip().lower() == b"application/json"


def decode_header_value(value: str) -> str | None:
    """Decode the ``=?base64?...?=`` form (None if malformed); other values pass through."""
    if not (value.startswith("=?base64?") and value.endswith("?=")) or len(value) < 11:
        return value
    payload = value[9:-2]
    try:
        raw = base64.b64decode(payload, validate=True)
        if base64.b64encode(raw).decode("ascii") != payload:
            return None
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _origin_netloc(origin: str) -> str | None:
    scheme, sep, rest = origin.partition("://")
    if not sep or not rest:
        return None
    netloc = rest.split("/", 1)[0].lower()
    default_port = _DEFAULT_PORTS.get(scheme.lower())
    if default_port is not None and netloc.endswith(default_port):
        netloc = netloc[: -len(default_port)]
    return netloc


def origin_matches_host(origin: str, host: str | None) -> bool:
    """Default policy: an Origin is allowed when its host[:port] equals the Host header."""
    if not host:
        return False
    netloc = _origin_netloc(origin)
    if netloc is None:
        return False
    host = host.strip().lower()
    if netloc == host:
        return True
    return any(host.endswith(port) and netloc == host[: -len(port)] for port in (":80", ":443"))


def same_host_origin(origin: str, scope: Scope) -> bool:
    """The default ``allowed_origins`` policy, usable standalone on an ASGI scope."""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return origin_matches_host(origin, value.decode("latin-1"))
    return False
