"""The in-process QuickJS runner: values, errors with the tool's own line numbers, limits,
isolation between calls, and what the sandbox does not offer."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest

from tests.sandbox.conftest import invocation
from toolkeep.sandbox.engine import MAX_CONSOLE_BYTES
from toolkeep.sandbox.glue import CONSOLE_TRUNCATED
from toolkeep.sandbox.inprocess import RunnerClosed, ThreadedQuickJsRunner
from toolkeep.sandbox.runner import ToolRunResult

pytestmark = pytest.mark.anyio

# QuickJS measures its time limit in process CPU time: on a busy machine a spinning tool
# gets less than a core, so wall-clock bounds in these tests leave room for that.
WALL_BOUND_S = 20.0


async def run(runner: ThreadedQuickJsRunner, code: str, **kwargs: Any) -> ToolRunResult:
    return await runner.run(invocation(code, **kwargs))


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("return 'Sunny'", "Sunny"),
        ("return 42", 42),
        ("return 1.5", 1.5),
        ("return 2 ** 53", 2**53),
        ("return true", True),
        ("return null", None),
        ("return [1, 'a', null, {b: [false]}]", [1, "a", None, {"b": [False]}]),
        ("return {city: 'Oslo', temp: -3.5, tags: []}", {"city": "Oslo", "temp": -3.5, "tags": []}),
        ("return new Date(0)", "1970-01-01T00:00:00.000Z"),
        ("return NaN", None),
        ("return 'é 😀 \\u0000'", "é 😀 \x00"),
        ("return await Promise.resolve(7)", 7),
        ("const f = async () => { await null; return 'later' }; return await f()", "later"),
    ],
)
async def test_the_return_value_comes_back_as_json_compatible_python(
    runner: ThreadedQuickJsRunner, code: str, value: Any
) -> None:
    result = await run(runner, code)
    assert (result.error_kind, result.error) == (None, None)
    assert result.value == value
    assert type(result.value) is type(value)
    assert result.undefined is False
    assert result.duration_ms > 0


@pytest.mark.parametrize("code", ["return", "const x = 1", "return undefined", "return () => 1"])
async def test_undefined_is_none_flagged_as_undefined(
    runner: ThreadedQuickJsRunner, code: str
) -> None:
    result = await run(runner, code)
    assert (result.value, result.undefined, result.error_kind) == (None, True, None)


async def test_params_and_env_arrive_as_plain_json_and_env_is_frozen(
    runner: ThreadedQuickJsRunner,
) -> None:
    code = """
    const before = env.API_KEY;
    try { env.API_KEY = 'changed'; } catch (e) { /* frozen: strict code would throw */ }
    return {
      city: params.city, days: params.days, nested: params.nested,
      key: env.API_KEY, unchanged: before === env.API_KEY, frozen: Object.isFrozen(env),
      proto: Object.getPrototypeOf(params) === Object.prototype,
    };
    """
    arguments = {"city": "Oslo", "days": 3, "nested": {"a": [1, None]}}
    result = await run(runner, code, arguments=arguments, env={"API_KEY": "k-123"})
    assert result.value == {
        "city": "Oslo",
        "days": 3,
        "nested": {"a": [1, None]},
        "key": "k-123",
        "unchanged": True,
        "frozen": True,
        "proto": True,
    }


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("const a = 1;\n\nthrow new Error('City not found');", "Error: City not found (line 3)"),
        (
            "function lookup(x) {\n  return x.missing.field;\n}\n\nreturn lookup({});",
            "TypeError: cannot read property 'field' of undefined (line 2)",
        ),
        (
            "await null;\nawait null;\nnull.x;",
            "TypeError: cannot read property 'x' of null (line 3)",
        ),
        ("const x = 1;\nconst y = ;", "SyntaxError: unexpected token in expression: ';' (line 2)"),
        ("return notDefined + 1", "ReferenceError: notDefined is not defined (line 1)"),
        ("throw 'plain text'", "plain text"),
        ("throw {code: 7}", '{"code":7}'),
        ("throw new RangeError()", "RangeError (line 1)"),
    ],
)
async def test_a_thrown_error_carries_its_message_and_the_tools_own_line_number(
    runner: ThreadedQuickJsRunner, code: str, error: str
) -> None:
    result = await run(runner, code)
    assert (result.error_kind, result.error) == ("thrown", error)
    assert result.value is None
    assert "<input>" not in error
    assert "/" not in error


async def test_deep_recursion_is_a_catchable_range_error(runner: ThreadedQuickJsRunner) -> None:
    result = await run(runner, "function f(n) { return f(n + 1) + 1 }\nreturn f(0)")
    assert (result.error_kind, result.error) == (
        "thrown",
        "RangeError: Maximum call stack size exceeded (line 1)",
    )


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("const a = {}; a.self = a; return a", "cannot be converted to JSON: TypeError: circular"),
        ("return 10n", "cannot be converted to JSON: TypeError: BigInt"),
        ("await new Promise(() => {})", "never finished"),
    ],
)
async def test_results_that_cannot_be_returned_fail_clearly(
    runner: ThreadedQuickJsRunner, code: str, words: str
) -> None:
    result = await run(runner, code)
    assert result.error_kind == "thrown"
    assert result.error is not None
    assert words in result.error


@pytest.mark.parametrize(
    "code",
    [
        "while (true) {}",
        "await null; while (true) {}",
        "while (true) await null",
        "try { while (true) {} } catch (e) { return 'caught' }",
    ],
)
async def test_a_runaway_tool_times_out_within_its_limit(
    runner: ThreadedQuickJsRunner, code: str
) -> None:
    started = time.monotonic()
    with anyio.fail_after(WALL_BOUND_S):
        result = await run(runner, code, timeout_s=0.5)
    assert (result.error_kind, result.error) == ("timeout", "Tool timed out after 0.5 s")
    assert result.duration_ms >= 400
    assert time.monotonic() - started < WALL_BOUND_S


@pytest.mark.parametrize(
    "code",
    [
        "const a = []; while (true) a.push({n: a.length})",
        "await null; const a = []; while (true) a.push({n: a.length})",
        "return new Array(2e7).fill(0)",
        "const b = []; while (true) b.push(new ArrayBuffer(1 << 20))",
    ],
)
async def test_a_memory_bomb_fails_with_a_memory_error_and_the_next_call_works(
    runner: ThreadedQuickJsRunner, code: str
) -> None:
    with anyio.fail_after(WALL_BOUND_S):
        result = await run(runner, code)
    assert (result.error_kind, result.error) == ("memory", "Tool exceeded 64 MB of memory")
    after = await run(runner, "return [1, 2, 3].map(x => x * 2)")
    assert after.value == [2, 4, 6]


async def test_the_memory_limit_is_the_invocations(runner: ThreadedQuickJsRunner) -> None:
    code = "return new Uint8Array(24 * 1024 * 1024).length"
    assert (await run(runner, code)).value == 24 * 1024 * 1024
    small = await run(runner, code, memory_limit_bytes=16 * 1024 * 1024)
    assert (small.error_kind, small.error) == ("memory", "Tool exceeded 16 MB of memory")


async def test_no_state_survives_from_one_call_to_the_next(runner: ThreadedQuickJsRunner) -> None:
    first = await run(
        runner,
        """
        globalThis.stolen = env.SECRET;
        Object.prototype.polluted = 'yes';
        Array.prototype.map = () => ['hijacked'];
        JSON.stringify = () => '"hijacked"';
        return 'planted';
        """,
        env={"SECRET": "tenant-a-secret"},
    )
    assert first.value == "planted"
    second = await run(
        runner,
        "return [typeof stolen, typeof globalThis.stolen, ({}).polluted, [1].map(x => x + 1)]",
    )
    assert second.value == ["undefined", "undefined", None, [2]]


async def test_the_tool_cannot_reach_the_host(runner: ThreadedQuickJsRunner) -> None:
    code = """
    return [typeof require, typeof process, typeof fetch, typeof XMLHttpRequest,
            typeof std, typeof os, typeof print, typeof setTimeout, typeof module,
            typeof globalThis.params, typeof globalThis.env, typeof globalThis.console];
    """
    assert (await run(runner, code)).value == ["undefined"] * 12
    dynamic = await run(runner, "return await import('os')")
    assert dynamic.error_kind == "thrown"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (
            "await sdk.http({method: 'GET', url: 'https://example.com'})",
            "Error: sdk.http is not available in the in-process runner (line 1)",
        ),
        (
            "const db = sdk.db({type: 'postgres', connection: 'postgres://u:p@db.example.com/d'});"
            "\nconst rows = await db.raw('select 1')",
            "Error: sdk.db is not available in the in-process runner (line 2)",
        ),
    ],
)
async def test_what_the_sdk_cannot_do_in_process_says_so(
    runner: ThreadedQuickJsRunner, code: str, error: str
) -> None:
    result = await run(runner, code)
    assert (result.error_kind, result.error) == ("thrown", error)


async def test_console_output_is_captured_with_its_level(runner: ThreadedQuickJsRunner) -> None:
    code = """
    console.log('plain', 1, {a: [1]}, null, undefined, true);
    console.info('info');
    console.warn('careful');
    console.error(new TypeError('bad'));
    console.debug(Symbol('s'));
    throw new Error('after logging');
    """
    result = await run(runner, code)
    assert result.console == (
        'plain 1 {"a":[1]} null undefined true',
        "[info] info",
        "[warn] careful",
        "[error] TypeError: bad",
        "[debug] Symbol(s)",
    )
    assert result.error_kind == "thrown"


async def test_console_output_is_capped_at_1_mb_with_a_note(
    runner: ThreadedQuickJsRunner,
) -> None:
    code = "for (let i = 0; i < 20000; i++) console.log('é'.repeat(100)); return 'done'"
    result = await run(runner, code)
    assert result.value == "done"
    assert result.console[-1] == CONSOLE_TRUNCATED
    assert sum(len(line.encode()) for line in result.console[:-1]) <= MAX_CONSOLE_BYTES
    assert len(result.console) < 20000


async def test_console_lines_survive_a_timeout(runner: ThreadedQuickJsRunner) -> None:
    result = await run(runner, "console.log('starting');\nwhile (true) {}", timeout_s=0.3)
    assert result.error_kind == "timeout"
    assert result.console == ("starting",)


async def test_a_result_over_4_mb_is_refused(runner: ThreadedQuickJsRunner) -> None:
    ok = await run(runner, "return 'x'.repeat(4 * 1024 * 1024 - 2)")
    assert ok.value == "x" * (4 * 1024 * 1024 - 2)
    result = await run(runner, "return 'é'.repeat(3 * 1024 * 1024)")  # 6 MB of UTF-8
    assert result.error_kind == "result_too_large"
    assert result.error == "The tool's return value is 6.0 MB of JSON; the limit is 4 MB."


async def test_a_result_nested_too_deeply_is_refused(runner: ThreadedQuickJsRunner) -> None:
    result = await run(runner, "let o = []; for (let i = 0; i < 1500; i++) o = [o]; return o")
    assert result.error_kind in ("result_too_large", "thrown")


async def test_lone_surrogates_become_replacement_characters(
    runner: ThreadedQuickJsRunner,
) -> None:
    result = await run(runner, "console.log('\\ud800!'); return {k: '\\udc00', ok: '😀'}")
    assert result.value == {"k": "\ufffd", "ok": "😀"}
    assert result.console == ("\ufffd!",)


async def test_calls_run_on_separate_fresh_contexts_concurrently(
    runner: ThreadedQuickJsRunner,
) -> None:
    results: dict[int, Any] = {}

    async def call(n: int) -> None:
        code = "globalThis.n = (globalThis.n || 0) + 1; return [params.n, globalThis.n]"
        results[n] = (await run(runner, code, arguments={"n": n})).value

    async with anyio.create_task_group() as group:
        for n in range(8):
            group.start_soon(call, n)
    assert results == {n: [n, 1] for n in range(8)}


async def test_a_closed_runner_refuses_new_calls() -> None:
    runner = ThreadedQuickJsRunner()
    await runner.aclose()
    with pytest.raises(RunnerClosed):
        await run(runner, "return 1")


def test_the_runner_needs_at_least_one_worker() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ThreadedQuickJsRunner(max_workers=0)


def test_a_runner_built_outside_any_event_loop_serves_later_loops() -> None:
    runner = ThreadedQuickJsRunner()  # as a synchronous app-context builder would

    async def once() -> Any:
        return (await run(runner, "return 'ok'")).value

    assert anyio.run(once) == "ok"
    assert anyio.run(once) == "ok"
