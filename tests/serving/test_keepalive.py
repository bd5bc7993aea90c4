"""IdleConnections: idle keep-alive connections closed by one sweep timer per loop."""

from __future__ import annotations

import asyncio

import pytest

from toolkeep.serving.keepalive import (
    MAX_SWEEP_S,
    MIN_SWEEP_S,
    IdleConnections,
    idle_connections,
    sweep_interval,
)

pytestmark = pytest.mark.anyio
WAIT_S = 5.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Connection:
    def __init__(self) -> None:
        self.expired = asyncio.Event()

    def timeout_keep_alive_handler(self) -> None:
        self.expired.set()


def test_the_sweep_runs_at_a_quarter_of_the_timeout_within_bounds() -> None:
    assert sweep_interval(5) == MAX_SWEEP_S
    assert sweep_interval(1) == 0.25
    assert sweep_interval(0.01) == MIN_SWEEP_S


async def test_an_idle_connection_expires_and_a_disarmed_one_does_not() -> None:
    loop = asyncio.get_running_loop()
    registry = IdleConnections(loop)
    idle, busy = Connection(), Connection()
    now = loop.time()
    registry.arm(idle, now, 0.1)
    registry.arm(busy, now, 0.1)

    registry.disarm(busy)  # a new request arrived on it
    await asyncio.wait_for(idle.expired.wait(), WAIT_S)

    assert not busy.expired.is_set()  # same deadline: the same sweep would have closed it
    assert len(registry) == 0


async def test_rearming_moves_the_deadline() -> None:
    loop = asyncio.get_running_loop()
    registry = IdleConnections(loop)
    early, late = Connection(), Connection()
    now = loop.time()
    registry.arm(late, now, 0.1)
    registry.arm(early, now, 0.1)
    registry.arm(late, now, 60)  # answered again: idle from now, for the full timeout

    await asyncio.wait_for(early.expired.wait(), WAIT_S)

    assert not late.expired.is_set()
    assert len(registry) == 1
    registry.disarm(late)


async def test_each_loop_has_one_registry() -> None:
    loop = asyncio.get_running_loop()

    assert idle_connections(loop) is idle_connections(loop)
