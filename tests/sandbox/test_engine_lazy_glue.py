"""The glue's lazily parsed parts: a fresh context parses only the core; the console's
formatting, the description of a failure, the host calls (``sdk.http``, ``sdk.db``) and the
sdk.db client are parsed on first use. They get the intrinsics the core captured before the
tool ran, so a tool that tampered with globals before first touching them changes nothing
for them, and the tool's line numbers stay right."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest

from tests.sandbox.conftest import FakeApi, invocation
from toolkeep.sandbox.engine import LINE_OFFSET, HostOutcome, HostRequest, WarmContext, execute
from toolkeep.sandbox.glue import DB_JS, GLUE_JS, HOST_JS, SUPPORT_JS, load_lodash
from toolkeep.sandbox.pool import ProcessPoolRunner

# What the lazily parsed parts use, replaced before the tool first touches console or sdk.
TAMPER = """
const hijacked = () => { throw 'hijacked' };
JSON.stringify = () => '"hijacked"'; JSON.parse = hijacked;
Array.prototype.splice = hijacked; String.prototype.slice = hijacked;
String.prototype.toLowerCase = hijacked; Object.defineProperty = hijacked;
Object.freeze = (o) => o; Object.keys = hijacked; Object.create = hijacked;
Reflect.apply = hijacked; Promise.prototype.then = hijacked;
globalThis.Promise = hijacked; globalThis.String = hijacked; globalThis.Error = hijacked;
globalThis.eval = hijacked;
"""
TAMPER_LINES = TAMPER.count("\n")


def tampered(body: str) -> str:
    return TAMPER + body


class Host:
    """Answers sdk.http with the request's URL as the body, sdk.db with one row."""

    def __init__(self) -> None:
        self.requests: list[HostRequest] = []

    def __call__(self, requests: Sequence[HostRequest], remaining_s: float) -> list[HostOutcome]:
        self.requests.extend(requests)
        return [self.answer(request) for request in requests]

    @staticmethod
    def answer(request: HostRequest) -> HostOutcome:
        if request.kind == "db":
            fields = [{"name": "n", "type": "int4"}]
            ok = {"rows": [{"n": 1}], "row_count": 1, "truncated": False, "fields": fields}
            return {"ok": {**ok, "last_insert_id": None}}
        headers = [["X-Seen", "1"], ["x-seen", "2"]]
        body = request.payload["url"]
        return {"ok": {"status": 201, "headers": headers, "body": body, "url": "u"}}


def test_a_fresh_context_parses_only_the_core_of_the_glue() -> None:
    for lazy in ("function request(", "function emit(", "function describe(", "install_db"):
        assert lazy not in GLUE_JS
    assert "function request(" in HOST_JS
    assert "function emit(" in SUPPORT_JS
    assert "__toolkeep_install_db" in DB_JS
    assert len(GLUE_JS) < 6000  # ~45 ns per character, for every call
    warm = WarmContext(load_lodash())
    assert warm.glue("outbox") == ""  # no host machinery until sdk.http or sdk.db is touched
    assert warm.glue("console") == "[]"


def test_every_glue_source_is_shorter_than_the_offset_of_the_tools_lines() -> None:
    """Every source shares the file name <input>: glue frames must never look like the tool's."""
    for source in (GLUE_JS, SUPPORT_JS, HOST_JS, DB_JS, load_lodash()):
        assert source.count("\n") + 1 < LINE_OFFSET


def test_sdk_http_and_console_work_after_the_tool_tampered_with_globals() -> None:
    host = Host()
    code = tampered("""
    console.log({a: 1}, 'b', [2]);
    const r = await sdk.http({method: 'post', url: 'https://api.test/x', headers: {A: 1},
                              body: {n: 1}});
    return [r.status(), r.body(), r.headers()['x-seen'], Object.isFrozen(r), r.json === r.json];
    """)
    result = execute(invocation(code), host_calls=host)
    assert result.value == [201, "https://api.test/x", "1, 2", True, True]
    assert result.console == ('{"a":1} b [2]',)
    payload = {
        "method": "post",
        "url": "https://api.test/x",
        "headers": {"A": "1", "Content-Type": "application/json"},
        "body": '{"n":1}',
    }
    assert host.requests == [HostRequest("http", payload)]


def test_sdk_db_reaches_the_host_after_the_tool_tampered_with_what_the_glue_uses() -> None:
    """The db client itself captures intrinsics when it is parsed: a tool that tampered with
    those first subverts only its own query builder (the parent checks every query)."""
    host = Host()
    code = """
    JSON.parse = () => 'hijacked'; Array.prototype.splice = () => [];
    globalThis.eval = () => 'hijacked'; String.prototype.slice = () => 'hijacked';
    const db = sdk.db({type: 'postgres', connection: 'postgres://u@db.test/d'});
    const rows = await db.raw('SELECT ? AS n', [1]);
    return [rows, rows.rowCount];
    """
    result = execute(invocation(code), host_calls=host)
    assert result.value == [[{"n": 1}], 1]
    payload = {
        "type": "postgres",
        "connection": "postgres://u@db.test/d",
        "sql": "SELECT ? AS n",
        "bindings": [1],
    }
    assert host.requests == [HostRequest("db", payload)]


def test_the_console_http_and_failures_need_no_global_at_all() -> None:
    """Every global the tool can delete is gone before it first touches them."""
    host = Host()
    code = """
    const global = globalThis, names = Object.getOwnPropertyNames(global);
    for (let i = 0; i < names.length; i++) delete global[names[i]];
    console.log(typeof JSON, typeof Object, typeof eval, {a: [1]});
    const r = await sdk.http({url: 'https://api.test/x', body: {n: 1}});
    console.info(r.status(), r.body(), r.headers());
    null.x;
    """
    result = execute(invocation(code), host_calls=host)
    assert (result.error_kind, result.error) == (
        "thrown",
        "TypeError: cannot read property 'x' of null (line 7)",
    )
    assert result.console == (
        'undefined undefined undefined {"a":[1]}',
        '[info] 201 https://api.test/x {"x-seen":"1, 2"}',
    )
    assert [request.payload["body"] for request in host.requests] == ['{"n":1}']


@pytest.mark.parametrize(
    ("call", "error"),
    [
        ("sdk.http({url: 'https://example.com'})", "sdk.http is not available in the in-process"),
        (
            "sdk.db({type: 'mysql', connection: 'mysql://u@db.test/d'}).raw('SELECT 1')",
            "sdk.db is not available in the in-process",
        ),
    ],
)
def test_without_a_host_the_sdk_still_says_it_is_unavailable_after_tampering(
    call: str, error: str
) -> None:
    tamper = "JSON.parse = () => 1; Array.prototype.splice = () => []; globalThis.eval = null;"
    result = execute(invocation(f"{tamper}\nconsole.log('before');\nawait {call}"))
    assert result.error_kind == "thrown"
    assert result.error == f"Error: {error} runner (line 3)"
    assert result.console == ("before",)


def test_a_failure_after_tampering_is_described_with_the_tools_line() -> None:
    result = execute(invocation(TAMPER + "\nthrow new TypeError('t')"))
    assert (result.error_kind, result.error) == (
        "thrown",
        f"TypeError: t (line {TAMPER_LINES + 2})",
    )
    serializing = execute(invocation(TAMPER + "return 10n"))
    assert serializing.error is not None
    assert serializing.error.startswith("The tool's return value cannot be converted to JSON")


def test_sdk_http_is_a_read_only_accessor_of_the_frozen_sdk() -> None:
    code = """
    const d = Object.getOwnPropertyDescriptor(sdk, 'http');
    sdk.http = null;
    return [typeof sdk.http, sdk.http === sdk.http, typeof d.get, d.set, Object.isFrozen(sdk),
            Object.keys(sdk)];
    """
    result = execute(invocation(code))
    assert result.value == ["function", True, "function", None, True, ["http", "db", "_"]]


@pytest.mark.anyio
async def test_in_the_pool_sdk_http_works_after_the_tool_tampered_with_globals(
    pool: ProcessPoolRunner, fake_api: FakeApi
) -> None:
    code = tampered("""
    const res = await sdk.http({url: params.url});
    console.log(res.status());
    return {status: res.status(), data: res.json(), type: res.headers()['content-type']};
    """)
    with anyio.fail_after(20):
        result = await pool.run(invocation(code, arguments={"url": fake_api.url("/json")}))
    assert result.value == {
        "status": 200,
        "data": {"hello": "world"},
        "type": "application/json",
    }
    assert result.console == ("200",)


def test_what_the_tool_logs_is_kept_when_it_never_touches_the_sdk() -> None:
    result = execute(invocation("console.warn('w', {k: [1]}); console.log(); return 1"))
    assert (result.value, result.console) == (1, ('[warn] w {"k":[1]}', ""))
