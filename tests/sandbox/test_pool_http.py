"""``sdk.http`` in the pool: the worker asks, the parent performs the request with the real
SSRF-guarded client (``perform``; the fake API on 127.0.0.1 is on the policy's allow-list)
and the tool gets ``status() body() headers() json()``; failures are catchable errors."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest

from tests.sandbox.conftest import FakeApi, invocation, open_pool
from toolkeep.sandbox.pool import ProcessPoolRunner
from toolkeep.sandbox.runner import ToolRunResult

pytestmark = pytest.mark.anyio
CALL_BOUND_S = 20.0


async def run(pool: ProcessPoolRunner, code: str, **kwargs: Any) -> ToolRunResult:
    with anyio.fail_after(CALL_BOUND_S):
        return await pool.run(invocation(code, **kwargs))


async def test_a_get_returns_status_headers_and_a_body_to_parse(
    pool: ProcessPoolRunner, fake_api: FakeApi
) -> None:
    code = """
    const res = await sdk.http({method: 'GET', url: params.url});
    return {status: res.status(), data: JSON.parse(res.body()), same: res.json(),
            type: res.headers()['content-type'], url: res.url()};
    """
    url = fake_api.url("/json")
    result = await run(pool, code, arguments={"url": url})
    assert result.value == {
        "status": 200,
        "data": {"hello": "world"},
        "same": {"hello": "world"},
        "type": "application/json",
        "url": url,
    }


async def test_a_post_sends_its_json_body_and_headers(
    pool: ProcessPoolRunner, fake_api: FakeApi
) -> None:
    code = """
    const res = await sdk.http({
      method: 'POST', url: params.url,
      headers: {'Content-Type': 'application/json', 'X-Api-Key': env.KEY},
      body: JSON.stringify({city: 'Oslo'}),
    });
    const echo = res.json();
    const sent = Object.fromEntries(echo.headers.map(([k, v]) => [k.toLowerCase(), v]));
    return [echo.method, JSON.parse(echo.body), sent['x-api-key'], sent['content-type']];
    """
    result = await run(pool, code, arguments={"url": fake_api.url("/echo")}, env={"KEY": "k-1"})
    assert result.value == ["POST", {"city": "Oslo"}, "k-1", "application/json"]


async def test_an_object_body_is_sent_as_json(pool: ProcessPoolRunner, fake_api: FakeApi) -> None:
    code = "const r = await sdk.http({method: 'PUT', url: params.url, body: {a: [1]}}); " + (
        "const e = r.json(); return [e.method, e.body, e.headers.some(([k, v]) => "
        "k.toLowerCase() === 'content-type' && v === 'application/json')]"
    )
    result = await run(pool, code, arguments={"url": fake_api.url("/echo")})
    assert result.value == ["PUT", '{"a":[1]}', True]


async def test_an_error_status_is_a_response_not_an_exception(
    pool: ProcessPoolRunner, fake_api: FakeApi
) -> None:
    code = "const r = await sdk.http({url: params.url}); return [r.status(), r.body()]"
    result = await run(pool, code, arguments={"url": fake_api.url("/missing")})
    assert result.value == [404, "not found"]


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/internal",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.2:1/",
        "file:///etc/passwd",
    ],
)
async def test_a_refused_address_is_an_error_the_tool_can_catch(
    pool: ProcessPoolRunner, fake_api: FakeApi, url: str
) -> None:
    code = """
    try {
      await sdk.http({url: params.url});
      return 'reached';
    } catch (e) {
      return {name: e.name, message: e.message, code: e.code};
    }
    """
    result = await run(pool, code, arguments={"url": url})
    assert result.value["name"] == "Error"
    assert result.value["message"].startswith("sdk.http: ")
    assert result.value["code"] in ("address_blocked", "scheme_not_allowed")
    assert fake_api.server.requests == []


async def test_an_uncaught_http_error_names_the_tools_line(pool: ProcessPoolRunner) -> None:
    result = await run(pool, "const a = 1;\nawait sdk.http({url: 'http://10.0.0.1/'});")
    assert result.error_kind == "thrown"
    assert result.error is not None
    assert result.error.startswith("Error: sdk.http: ")
    assert result.error.endswith("(line 2)")


async def test_requests_awaited_together_run_concurrently_in_the_parent(
    pool: ProcessPoolRunner, fake_api: FakeApi
) -> None:
    code = """
    const urls = [params.a, params.b, params.c];
    const all = await Promise.all(urls.map(url => sdk.http({url})));
    return all.map(r => [r.status(), r.body()]);
    """
    args = {"a": fake_api.url("/json"), "b": fake_api.url("/bytes/3"), "c": fake_api.url("/x")}
    result = await run(pool, code, arguments=args)
    assert result.value == [[200, '{"hello": "world"}'], [200, "aaa"], [404, "not found"]]


async def test_waiting_on_the_network_counts_against_the_tools_time(
    pool: ProcessPoolRunner, fake_api: FakeApi
) -> None:
    """The parent answers the stuck request at the deadline, so the worker reports the
    timeout itself (console kept) and is not killed."""
    pids = pool.pids
    code = "console.log('calling');\nawait sdk.http({url: params.url});\nreturn 'never'"
    started = time.monotonic()
    result = await run(pool, code, arguments={"url": fake_api.url("/hang")}, timeout_s=1.0)
    assert (result.error_kind, result.error) == ("timeout", "Tool timed out after 1 s")
    assert result.console == ("calling",)
    assert time.monotonic() - started < 3.0
    assert pool.pids == pids


async def test_the_pool_uses_the_policy_it_was_given(fake_api: FakeApi) -> None:
    async with open_pool(1, http_policy=None) as strict:  # the default policy: no loopback
        code = "try { await sdk.http({url: params.url}) } catch (e) { return e.code }"
        result = await run(strict, code, arguments={"url": fake_api.url("/json")})
    assert result.value == "address_blocked"
    assert fake_api.server.requests == []
