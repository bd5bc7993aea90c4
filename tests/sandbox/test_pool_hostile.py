"""Hostile tool code against one shared pool: each case ends with a clear error within its
bound (the engine's own limits, or the parent's SIGKILL at timeout + grace), and the next
call on the same pool succeeds. The pool keeps its size throughout."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
import pytest

from tests.sandbox.conftest import POOL_GRACE_S, invocation, open_pool
from toolkeep.sandbox.engine import MAX_CONSOLE_BYTES
from toolkeep.sandbox.glue import CONSOLE_TRUNCATED
from toolkeep.sandbox.pool import ProcessPoolRunner
from toolkeep.sandbox.runner import ErrorKind

pytestmark = pytest.mark.anyio

TIMEOUT_S = 1.0
SLACK_S = 3.0  # process start-up, a loaded CI machine
BOUND_S = TIMEOUT_S + POOL_GRACE_S + SLACK_S
NEXT_CALL = "return [1, 2, 3].map(x => x * 2)"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def shared(anyio_backend: str) -> AsyncIterator[ProcessPoolRunner]:
    async with open_pool(2) as pool:
        yield pool


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        pytest.param("while (true) {}", "timeout", "Tool timed out after 1 s", id="busy-loop"),
        pytest.param(
            "await null; while (true) {}", "timeout", "Tool timed out after 1 s", id="after-await"
        ),
        pytest.param(
            "while (true) await Promise.resolve()", "timeout", "timed out", id="microtask-loop"
        ),
        pytest.param(
            "return /(a+)+$/.test('a'.repeat(40) + 'b')", "timeout", "timed out", id="redos"
        ),
        pytest.param(
            "return new Array(1e9).join('')",
            "timeout",
            "Tool timed out after 1 s",
            id="uninterruptible-join",
        ),
        pytest.param(
            "let a = []; while (true) a.push(new Array(1e6).fill(1))",
            "memory",
            "Tool exceeded 64 MB of memory",
            id="heap-bomb",
        ),
        pytest.param(
            "const m = new Map(); let i = 0; while (true) m.set(i++, {i})",
            "memory",
            "Tool exceeded 64 MB of memory",
            id="map-bomb",
        ),
        pytest.param(
            "return new ArrayBuffer(2 ** 31).byteLength",
            "thrown",
            "RangeError: invalid array buffer length (line 1)",
            id="arraybuffer-2gib",
        ),
        pytest.param(
            "return new ArrayBuffer(2 ** 30).byteLength",
            "memory",
            "Tool exceeded 64 MB of memory",
            id="arraybuffer-1gib",
        ),
        pytest.param(
            "const b = []; while (true) b.push(new ArrayBuffer(16 << 20))",
            "memory",
            "Tool exceeded 64 MB of memory",
            id="arraybuffer-flood",
        ),
        pytest.param(
            "function f() { return f() }\nf()",
            "thrown",
            "RangeError: Maximum call stack size exceeded (line 1)",
            id="deep-recursion",
        ),
        pytest.param(
            "return 'x'.repeat(50 * 1024 * 1024)",
            "result_too_large",
            "The tool's return value is 50.0 MB of JSON; the limit is 4 MB.",
            id="50mb-result",
        ),
        pytest.param(
            "return Array.from({length: 300000}, (_, i) => 'item number ' + i)",
            "result_too_large",
            "the limit is 4 MB",
            id="large-array-result",
        ),
    ],
)
async def test_hostile_code_ends_with_a_clear_error_and_the_next_call_succeeds(
    shared: ProcessPoolRunner, code: str, kind: ErrorKind, words: str
) -> None:
    # Cases meant to hit another limit get time to do so on a loaded machine.
    timeout_s = TIMEOUT_S if kind == "timeout" else 10 * TIMEOUT_S
    started = time.monotonic()
    with anyio.fail_after(timeout_s + POOL_GRACE_S + SLACK_S):
        result = await shared.run(invocation(code, timeout_s=timeout_s))
    assert result.error_kind == kind
    assert result.error is not None
    assert words in result.error
    assert time.monotonic() - started < timeout_s + POOL_GRACE_S + SLACK_S
    with anyio.fail_after(BOUND_S):
        after = await shared.run(invocation(NEXT_CALL))
    assert (after.value, after.error) == ([2, 4, 6], None)
    with anyio.fail_after(BOUND_S):
        await shared.wait_full()
    assert len(shared.pids) == 2


async def test_a_console_flood_is_capped_at_1_mb_and_the_call_still_returns(
    shared: ProcessPoolRunner,
) -> None:
    code = "for (let i = 0; i < 1e6; i++) console.log('line ' + i); return 'done'"
    with anyio.fail_after(30):
        result = await shared.run(invocation(code, timeout_s=20))
    assert (result.value, result.error) == ("done", None)
    assert result.console[-1] == CONSOLE_TRUNCATED
    assert sum(len(line.encode()) for line in result.console[:-1]) <= MAX_CONSOLE_BYTES
    assert result.console[0] == "line 0"


async def test_the_uninterruptible_case_is_stopped_by_the_parent_at_timeout_plus_grace(
    shared: ProcessPoolRunner,
) -> None:
    before = set(shared.pids)
    with anyio.fail_after(BOUND_S):
        result = await shared.run(invocation("new Array(1e9).join('')", timeout_s=TIMEOUT_S))
    assert (result.error_kind, result.error) == ("timeout", "Tool timed out after 1 s")
    assert result.duration_ms >= (TIMEOUT_S + POOL_GRACE_S) * 1000 * 0.95
    with anyio.fail_after(BOUND_S):
        await shared.wait_full()
    after = set(shared.pids)
    assert len(after) == 2
    assert len(before - after) == 1  # exactly the killed worker was replaced
