"""Fixtures for driving real MCP clients (tests/support/clients.py) against loopback servers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.e2e.tiny_server import build_tiny_app
from tests.support.shim import auth_shim, serve_in_thread


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def tiny_key() -> str:
    return "tk_e2e_" + secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def tiny_server(tiny_key: str) -> Iterator[str]:
    """Base URL of the tiny official-SDK server (tool ``add``), locked with ``tiny_key``;
    its MCP endpoint is ``<base>/mcp``."""
    with serve_in_thread(app_factory=lambda base: build_tiny_app(base, tiny_key)) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def tiny_url(tiny_server: str) -> str:
    return tiny_server + "/mcp"


@pytest.fixture(scope="module")
def tiny_shim(tiny_server: str, tiny_key: str) -> Iterator[str]:
    """Base URL of an auth shim that adds the tiny server's key to every request."""
    with auth_shim(tiny_server, tiny_key) as base_url:
        yield base_url
