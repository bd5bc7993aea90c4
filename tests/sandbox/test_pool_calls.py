"""The process pool runs tools like the in-process runner does (values, errors with the
tool's own line numbers, console, limits), adds lodash, and keeps calls apart: every call
gets a fresh context, and nothing of one call (globals, prototypes, env) reaches the next."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from tests.sandbox.conftest import invocation, open_pool
from toolkeep.sandbox.pool import ProcessPoolRunner
from toolkeep.sandbox.runner import ToolRunResult

pytestmark = pytest.mark.anyio
CALL_BOUND_S = 20.0


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def shared(anyio_backend: str) -> AsyncIterator[ProcessPoolRunner]:
    async with open_pool(2) as pool:
        yield pool


@pytest.fixture(scope="module")
async def single(anyio_backend: str) -> AsyncIterator[ProcessPoolRunner]:
    """One worker: consecutive calls are guaranteed to land in the same process."""
    async with open_pool(1) as pool:
        yield pool


async def run(pool: ProcessPoolRunner, code: str, **kwargs: Any) -> ToolRunResult:
    with anyio.fail_after(CALL_BOUND_S):
        return await pool.run(invocation(code, **kwargs))


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("return 'Sunny'", "Sunny"),
        ("return 42", 42),
        ("return 2 ** 53", 2**53),
        ("return [1, 'a', null, {b: [false]}]", [1, "a", None, {"b": [False]}]),
        ("return new Date(0)", "1970-01-01T00:00:00.000Z"),
        ("return NaN", None),
        ("return 'é 😀 \\u0000'", "é 😀 \x00"),
        ("return {k: '\\ud800'}", {"k": "\ufffd"}),
        ("const f = async () => { await null; return 'later' }; return await f()", "later"),
    ],
)
async def test_the_return_value_comes_back_as_json_compatible_python(
    shared: ProcessPoolRunner, code: str, value: Any
) -> None:
    result = await run(shared, code)
    assert (result.error_kind, result.error) == (None, None)
    assert result.value == value
    assert type(result.value) is type(value)
    assert result.duration_ms > 0


async def test_undefined_is_none_flagged_as_undefined(shared: ProcessPoolRunner) -> None:
    result = await run(shared, "return undefined")
    assert (result.value, result.undefined, result.error_kind) == (None, True, None)


async def test_params_and_env_arrive_as_plain_json_and_env_is_frozen(
    shared: ProcessPoolRunner,
) -> None:
    code = "return {city: params.city, days: params.days, key: env.API_KEY, " + (
        "frozen: Object.isFrozen(env)}"
    )
    result = await run(
        shared, code, arguments={"city": "Oslo", "days": 3}, env={"API_KEY": "k-123"}
    )
    assert result.value == {"city": "Oslo", "days": 3, "key": "k-123", "frozen": True}


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("const a = 1;\n\nthrow new Error('City not found');", "Error: City not found (line 3)"),
        (
            "await null;\nawait null;\nnull.x;",
            "TypeError: cannot read property 'x' of null (line 3)",
        ),
        ("const x = 1;\nconst y = ;", "SyntaxError: unexpected token in expression: ';' (line 2)"),
        ("throw {code: 7}", '{"code":7}'),
        (
            "\nconst rows = await sdk.db('select 1')",
            "Error: sdk.db: expects {type, connection}, e.g. "
            "sdk.db({type: 'postgres', connection: env.DATABASE_URL}) (line 2)",
        ),
    ],
)
async def test_a_thrown_error_carries_its_message_and_the_tools_own_line_number(
    shared: ProcessPoolRunner, code: str, error: str
) -> None:
    result = await run(shared, code)
    assert (result.error_kind, result.error) == ("thrown", error)


async def test_console_output_is_captured_even_when_the_tool_fails(
    shared: ProcessPoolRunner,
) -> None:
    result = await run(
        shared, "console.log('a', {b: 1});\nconsole.warn('c');\nthrow new Error('x')"
    )
    assert result.console == ('a {"b":1}', "[warn] c")
    assert (result.error_kind, result.error) == ("thrown", "Error: x (line 3)")


async def test_lodash_is_global_and_on_the_sdk(shared: ProcessPoolRunner) -> None:
    code = """
    const people = [{name: 'b', age: 30}, {name: 'a', age: 20}, {name: 'c', age: 30}];
    return {
      sorted: _.map(_.sortBy(people, 'age'), 'name'),
      grouped: _.mapValues(_.groupBy(people, 'age'), g => g.length),
      chunks: sdk._.chunk([1, 2, 3, 4, 5], 2),
      same: sdk._ === _,
      version: typeof _.VERSION,
    };
    """
    result = await run(shared, code)
    assert result.value == {
        "sorted": ["a", "b", "c"],
        "grouped": {"20": 1, "30": 2},
        "chunks": [[1, 2], [3, 4], [5]],
        "same": True,
        "version": "string",
    }


async def test_a_tool_that_replaces_the_global_lodash_only_changes_its_own_call(
    single: ProcessPoolRunner,
) -> None:
    first = await run(single, "_ = 'mine'; return [typeof _, typeof sdk._.chunk]")
    assert first.value == ["string", "function"]
    second = await run(single, "return typeof _.chunk")
    assert second.value == "function"


async def test_no_state_survives_from_one_call_to_the_next_in_the_same_worker(
    single: ProcessPoolRunner,
) -> None:
    pid = single.pids
    first = await run(
        single,
        """
        globalThis.stolen = env.SECRET;
        Object.prototype.polluted = env.SECRET;
        Array.prototype.map = () => ['hijacked'];
        JSON.stringify = () => '"hijacked"';
        _.secret = env.SECRET;
        return 'planted';
        """,
        env={"SECRET": "tenant-a-secret"},
    )
    assert first.value == "planted"
    second = await run(
        single,
        "return [typeof stolen, ({}).polluted, [1].map(x => x + 1), _.secret, "
        "Object.keys(env), JSON.stringify({a: 1})]",
    )
    assert second.value == ["undefined", None, [2], None, [], '{"a":1}']
    assert "tenant-a-secret" not in repr(second)
    assert single.pids == pid  # the same process served both calls


async def test_the_tool_cannot_reach_the_host(shared: ProcessPoolRunner) -> None:
    code = """
    return [typeof require, typeof process, typeof std, typeof os, typeof globalThis.__builtins__,
            typeof fetch, typeof XMLHttpRequest, typeof module, typeof Deno, typeof print,
            typeof globalThis.params, typeof globalThis.env];
    """
    assert (await run(shared, code)).value == ["undefined"] * 12
    escape = await run(shared, "return this.constructor.constructor('return process')()")
    assert (escape.error_kind, escape.error) == (
        "thrown",
        "ReferenceError: process is not defined (line 1)",
    )
    dynamic = await run(shared, "return await import('os')")
    assert dynamic.error_kind == "thrown"
    python = await run(
        shared, "return Object.getOwnPropertyNames(globalThis).filter(n => /py/i.test(n))"
    )
    assert python.value == []


async def test_calls_run_concurrently_each_in_a_fresh_context(shared: ProcessPoolRunner) -> None:
    results: dict[int, Any] = {}

    async def call(n: int) -> None:
        code = "globalThis.n = (globalThis.n || 0) + 1; return [params.n, globalThis.n, env.ID]"
        result = await run(shared, code, arguments={"n": n}, env={"ID": f"tenant-{n}"})
        results[n] = result.value

    async with anyio.create_task_group() as group:
        for n in range(12):
            group.start_soon(call, n)
    assert results == {n: [n, 1, f"tenant-{n}"] for n in range(12)}


async def test_the_memory_limit_is_the_invocations(shared: ProcessPoolRunner) -> None:
    code = "return new Uint8Array(24 * 1024 * 1024).length"
    assert (await run(shared, code)).value == 24 * 1024 * 1024
    small = await run(shared, code, memory_limit_bytes=16 * 1024 * 1024)
    assert (small.error_kind, small.error) == ("memory", "Tool exceeded 16 MB of memory")


async def test_a_tool_that_never_settles_says_so(shared: ProcessPoolRunner) -> None:
    result = await run(shared, "await new Promise(() => {})")
    assert result.error_kind == "thrown"
    assert result.error is not None
    assert "never finished" in result.error
