"""Pure header helpers: Accept, Content-Type, base64 header values, the default Origin policy."""

from __future__ import annotations

import base64

import pytest

from toolkeep.mcp import same_host_origin
from toolkeep.mcp.headers import (
    RequestHeaders,
    accepts,
    decode_header_value,
    is_json_content_type,
    origin_matches_host,
)


def b64(text: str) -> str:
    return "=?base64?" + base64.b64encode(text.encode()).decode() + "?="


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("add", "add"),
        (b64("héllo wörld"), "héllo wörld"),
        (b64(""), ""),
        ("=?base64?not*base64?=", None),
        ("=?base64?YQ=?=", None),  # bad padding
        ("=?base64?YR==?=", None),  # non-canonical trailing bits
        ("=?base64?", "=?base64?"),
    ],
)
def test_header_values_decode_base64_form_only(value: str, expected: str | None) -> None:
    assert decode_header_value(value) == expected


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://demo.tk.test", "demo.tk.test", True),
        ("http://DEMO.tk.test", "demo.tk.test", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://example.com", "example.com:80", True),
        ("https://example.com:443", "example.com", True),
        ("https://example.com", "example.com:443", True),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", False),
        ("http://evil.example.com", "demo.tk.test", False),
        ("null", "demo.tk.test", False),
        ("http://demo.tk.test", None, False),
    ],
)
def test_default_origin_policy_compares_origin_with_host(
    origin: str, host: str | None, allowed: bool
) -> None:
    assert origin_matches_host(origin, host) is allowed


def test_same_host_origin_reads_the_host_from_the_scope() -> None:
    scope = {"headers": [(b"host", b"a.example:8080")]}
    assert same_host_origin("http://a.example:8080", scope)
    assert not same_host_origin("http://b.example:8080", scope)
    assert not same_host_origin("http://a.example:8080", {"headers": []})


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, (True, True)),
        (b"application/json", (True, False)),
        (b"text/event-stream", (False, True)),
        (b"*/*", (True, True)),
        (b"Application/JSON, Text/Event-Stream", (True, True)),
        (b"text/html", (False, False)),
    ],
)
def test_accept_header_analysis(accept: bytes | None, expected: tuple[bool, bool]) -> None:
    assert accepts(accept) == expected


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        (b"application/json", True),
        (b"application/json; charset=utf-8", True),
        (b" APPLICATION/JSON ", True),
        (b"application/json-patch+json", False),
        (b"text/plain", False),
        (None, False),
    ],
)
def test_json_content_type(content_type: bytes | None, ok: bool) -> None:
    assert is_json_content_type(content_type) is ok


def test_request_headers_flag_duplicated_routing_headers_only() -> None:
    raw = [
        (b"accept", b"a"),
        (b"accept", b"b"),
        (b"mcp-method", b"tools/list"),
        (b"mcp-session-id", b"s"),
    ]
    headers = RequestHeaders(raw)
    assert (headers.accept, headers.session_id, headers.duplicated) == (b"b", b"s", None)
    headers = RequestHeaders([*raw, (b"mcp-method", b"tools/call")])
    assert headers.duplicated == b"mcp-method"
