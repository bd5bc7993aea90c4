"""Fixtures: fake APIs and a trap listener on real loopback sockets, a spy on every socket
connect, a scripted resolver, and policies that allow (only) the fake APIs."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from tests.sandbox.http.fakes import FakeServer, api, record_only
from toolkeep.sandbox.http import HttpPolicy, IPAddress

LOOPBACK_V4 = ipaddress.ip_network("127.0.0.1/32")
LOOPBACK_V6 = ipaddress.ip_network("::1/128")
SECOND_LOOPBACK = "127.0.0.2"  # a different address on lo: an "allowed" origin that is not the trap


def local_policy(*networks: str, **overrides: Any) -> HttpPolicy:
    """A policy whose admin allow-list opens the given networks (default 127.0.0.1/32)."""
    allowed = [ipaddress.ip_network(n) for n in networks] or [LOOPBACK_V4]
    return HttpPolicy(allow_networks=allowed, **overrides)


@dataclass
class ScriptedResolver:
    """Answers from a table; a list of answers per name is consumed one lookup at a time."""

    table: dict[str, list[list[str]]]
    calls: list[str] = field(default_factory=list)

    async def __call__(self, host: str) -> Sequence[IPAddress]:
        self.calls.append(host)
        answers = self.table.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answer = answers[0] if len(answers) == 1 else answers.pop(0)
        return [ipaddress.ip_address(a) for a in answer]


@dataclass
class Trap:
    """Listeners on 127.0.0.1 and [::1] (same port) that must never see a connection."""

    v4: FakeServer
    v6: FakeServer | None

    @property
    def port(self) -> int:
        return self.v4.port

    @property
    def connections(self) -> list[tuple[str, int]]:
        return self.v4.connections + (self.v6.connections if self.v6 else [])


@contextlib.asynccontextmanager
async def running(server: FakeServer, port: int = 0) -> AsyncIterator[FakeServer]:
    await server.start(port)
    try:
        yield server
    finally:
        await server.aclose()


@pytest.fixture
async def api_server(anyio_backend: str) -> AsyncIterator[FakeServer]:
    async with running(FakeServer("127.0.0.1", api)) as server:
        yield server


@pytest.fixture
async def other_server(anyio_backend: str) -> AsyncIterator[FakeServer]:
    async with running(FakeServer("127.0.0.1", api)) as server:
        yield server


@pytest.fixture
async def second_loopback_server(anyio_backend: str) -> AsyncIterator[FakeServer]:
    async with running(FakeServer(SECOND_LOOPBACK, api)) as server:
        yield server


@pytest.fixture
async def trap(anyio_backend: str) -> AsyncIterator[Trap]:
    async with running(FakeServer("127.0.0.1", record_only)) as v4:
        v6 = FakeServer("::1", record_only)
        try:
            await v6.start(v4.port)
        except OSError:
            yield Trap(v4, None)
            return
        try:
            yield Trap(v4, v6)
        finally:
            await v6.aclose()


@pytest.fixture
def connect_spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every host any code passes to ``anyio.connect_tcp`` (httpcore's only way to a socket)."""
    seen: list[str] = []
    real = anyio.connect_tcp

    async def spy(remote_host: str, remote_port: int, **kwargs: Any) -> Any:
        seen.append(str(remote_host))
        return await real(remote_host, remote_port, **kwargs)

    monkeypatch.setattr(anyio, "connect_tcp", spy)
    return seen
