"""The parent's watchdog: a worker above its RSS budget, a worker that dies mid-call and a
caller that goes away all end with the worker killed and replaced; the call gets a clear
result (or its cancellation), other calls are unaffected and the pool keeps its size."""

from __future__ import annotations

import os
import select
import signal
from pathlib import Path

import anyio
import pytest

from tests.sandbox.conftest import FakeApi, invocation, open_pool
from toolkeep.sandbox.pool import ProcessPoolRunner, RunnerClosed
from toolkeep.sandbox.runner import ToolRunResult

pytestmark = pytest.mark.anyio
BOUND_S = 20.0
HANG = "console.log('started');\nawait sdk.http({url: params.url});\nreturn 'answered'"


def gone(pid: int) -> bool:
    """Exited: no process, or a zombie not yet reaped (it has no VmRSS any more)."""
    try:
        return b"VmRSS" not in Path(f"/proc/{pid}/status").read_bytes()
    except OSError:
        return True


def exited(pid: int) -> bool:
    """Fully exited, as the kernel reports it to a pidfd: every thread gone (the main thread
    shows as a zombie in /proc a moment before the last of its other threads has ended)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True  # reaped already
    try:
        return bool(select.select([fd], [], [], 0)[0])
    finally:
        os.close(fd)


async def refilled(pool: ProcessPoolRunner, size: int) -> list[int]:
    with anyio.fail_after(BOUND_S):
        await pool.wait_full()
    assert len(pool.pids) == size
    return pool.pids


async def test_a_worker_above_its_rss_budget_is_killed_and_replaced() -> None:
    async with open_pool(1) as pool:
        before = pool.pids
        pool.rss_limit_bytes = pool.baseline_rss + 24 * 1024 * 1024  # well under the 64 MB heap
        code = "const a = new Uint8Array(48 * 1024 * 1024); a.fill(7); while (true) {}"
        with anyio.fail_after(BOUND_S):
            result = await pool.run(invocation(code, timeout_s=15))
        assert (result.error_kind, result.error) == ("memory", "Tool exceeded 64 MB of memory")
        assert result.duration_ms < 10_000  # the watchdog, not the time limit
        after = await refilled(pool, 1)  # the replacement starts once the old one is reaped
        assert after != before
        assert gone(before[0])
        with anyio.fail_after(BOUND_S):
            assert (await pool.run(invocation("return 'ok'"))).value == "ok"


async def test_a_worker_that_dies_mid_call_is_a_crash_and_is_replaced(fake_api: FakeApi) -> None:
    async with open_pool(1) as pool:
        [pid] = pool.pids
        results: list[ToolRunResult] = []

        async def call() -> None:
            results.append(await pool.run(invocation(HANG, {"url": fake_api.url("/hang")})))

        with anyio.fail_after(BOUND_S):
            async with anyio.create_task_group() as group:
                group.start_soon(call)
                await fake_api.arrived.wait()  # the tool is running, waiting on the network
                os.kill(pid, signal.SIGKILL)
        assert [(r.error_kind, r.error) for r in results] == [
            ("crash", "The tool crashed the sandbox")
        ]
        assert (await refilled(pool, 1)) != [pid]
        with anyio.fail_after(BOUND_S):
            assert (await pool.run(invocation("return 'ok'"))).value == "ok"


async def test_a_caller_that_goes_away_takes_its_worker_down_and_others_are_unaffected(
    fake_api: FakeApi,
) -> None:
    async with open_pool(2) as pool:
        before = set(pool.pids)
        with anyio.fail_after(BOUND_S):
            async with anyio.create_task_group() as group:
                group.start_soon(pool.run, invocation(HANG, {"url": fake_api.url("/hang")}))
                await fake_api.arrived.wait()
                other = await pool.run(invocation("return 'unaffected'"))
                group.cancel_scope.cancel()  # the client went away
        assert other.value == "unaffected"
        after = set(await refilled(pool, 2))
        killed = before - after
        assert len(killed) == 1
        assert all(gone(pid) for pid in killed)
        with anyio.fail_after(BOUND_S):
            assert (await pool.run(invocation("return 'ok'"))).value == "ok"


async def test_a_call_waits_for_a_free_worker_but_not_past_its_deadline(
    fake_api: FakeApi,
) -> None:
    async with open_pool(1) as pool:
        with anyio.fail_after(BOUND_S):
            async with anyio.create_task_group() as group:
                group.start_soon(pool.run, invocation(HANG, {"url": fake_api.url("/hang")}))
                await fake_api.arrived.wait()
                queued = await pool.run(invocation("return 1", timeout_s=0.3))
                group.cancel_scope.cancel()
        assert queued.error_kind == "timeout"
        assert queued.error == (
            "Tool timed out after 0.3 s waiting for a free sandbox worker (all 1 were busy)"
        )
        await refilled(pool, 1)


async def test_queued_calls_run_in_turn_when_workers_free_up() -> None:
    async with open_pool(1) as pool:
        results: list[object] = []

        async def call(n: int) -> None:
            results.append((await pool.run(invocation("return params.n", {"n": n}))).value)

        with anyio.fail_after(BOUND_S):
            async with anyio.create_task_group() as group:
                for n in range(6):
                    group.start_soon(call, n)
        assert sorted(results) == list(range(6))  # type: ignore[type-var]


async def test_a_worker_killed_while_idle_is_replaced_on_the_next_call() -> None:
    async with open_pool(1) as pool:
        [pid] = pool.pids
        os.kill(pid, signal.SIGKILL)
        with anyio.fail_after(BOUND_S):
            while not exited(pid):  # the kernel's part, outside the pool
                await anyio.sleep(0.01)
            result = await pool.run(invocation("return 'ok'"))
        assert (result.value, result.error) == ("ok", None)  # the call went to the replacement
        assert (await refilled(pool, 1)) != [pid]


async def test_closing_the_pool_ends_running_calls_and_refuses_new_ones(
    fake_api: FakeApi,
) -> None:
    async with open_pool(2) as pool:
        pids = pool.pids
        results: list[ToolRunResult] = []

        async def call() -> None:
            results.append(await pool.run(invocation(HANG, {"url": fake_api.url("/hang")})))

        with anyio.fail_after(BOUND_S):
            async with anyio.create_task_group() as group:
                group.start_soon(call)
                await fake_api.arrived.wait()
                await pool.aclose()
        assert [(r.error_kind, r.error) for r in results] == [
            ("crash", "The sandbox shut down while the tool was running")
        ]
        assert all(gone(pid) for pid in pids)
        assert pool.pids == []
        with pytest.raises(RunnerClosed):
            await pool.run(invocation("return 1"))


async def test_workers_are_recycled_after_a_number_of_calls() -> None:
    async with open_pool(1, recycle_after=3) as pool:
        [first] = pool.pids
        with anyio.fail_after(BOUND_S):
            for n in range(3):
                assert (await pool.run(invocation("return params.n", {"n": n}))).value == n
        [second] = await refilled(pool, 1)
        assert second != first
        assert gone(first)


async def test_each_worker_is_recycled_at_a_threshold_up_to_ten_percent_early() -> None:
    async with open_pool(2, recycle_after=40) as pool:
        with anyio.fail_after(BOUND_S):
            for n in range(60):  # every worker passes its threshold at least once
                assert (await pool.run(invocation("return params.n", {"n": n}))).value == n
            await pool.wait_full()
        thresholds = [worker.recycle_at for worker in pool._workers]
        assert all(t is not None and 36 <= t <= 40 for t in thresholds)
        assert len(pool.pids) == 2
