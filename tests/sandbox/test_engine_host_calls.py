"""The engine's host calls (``sdk.http``) and lazy lodash, driven directly with a fake host:
batching, limits, errors the tool can catch, and host time counted against the deadline."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest

from tests.sandbox.conftest import invocation
from toolkeep.sandbox.engine import HostOutcome, HostRequest, WarmContext, execute
from toolkeep.sandbox.glue import LODASH_PATH, MAX_HTTP_BATCH, MAX_HTTP_CALLS, load_lodash


class FakeHost:
    """Answers each request with its own URL as the body, or an error for URLs with 'fail'."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.batches: list[list[HostRequest]] = []
        self.remaining: list[float] = []
        self.delay_s = delay_s

    def __call__(self, requests: Sequence[HostRequest], remaining_s: float) -> list[HostOutcome]:
        self.batches.append(list(requests))
        self.remaining.append(remaining_s)
        time.sleep(self.delay_s)  # a slow network, as the host sees it
        return [self.answer(request.payload) for request in requests]

    @staticmethod
    def answer(payload: dict[str, Any]) -> HostOutcome:
        if "fail" in payload["url"]:
            return {"error": {"code": "address_blocked", "message": "That address is blocked"}}
        headers = [["Content-Type", "text/plain"], ["X-Seen", "1"], ["x-seen", "2"]]
        headers.append(["__proto__", "not a prototype"])
        return {"ok": {"status": 201, "headers": headers, "body": payload["url"], "url": "u"}}


def run(code: str, host: FakeHost | None = None, **kwargs: Any) -> Any:
    return execute(invocation(code, **kwargs), host_calls=host or FakeHost())


def test_a_request_reaches_the_host_normalized_and_the_response_has_accessors() -> None:
    host = FakeHost()
    code = """
    const r = await sdk.http({method: 'post', url: 'https://api.test/x', headers: {A: 1},
                              body: {n: 1}});
    const h = r.headers();
    return [r.status(), r.body(), h['content-type'], h['x-seen'], h['__proto__'],
            Object.getPrototypeOf(h) === Object.prototype, r.url()];
    """
    result = run(code, host)
    assert result.value == [
        201,
        "https://api.test/x",
        "text/plain",
        "1, 2",
        "not a prototype",
        True,
        "u",
    ]
    [[request]] = host.batches
    assert request == HostRequest(
        "http",
        {
            "method": "post",
            "url": "https://api.test/x",
            "headers": {"A": "1", "Content-Type": "application/json"},
            "body": '{"n":1}',
        },
    )


def test_requests_awaited_together_reach_the_host_in_batches() -> None:
    host = FakeHost()
    code = "const n = Array.from({length: 12}, (_, i) => sdk.http({url: 'u' + i}));" + (
        "return (await Promise.all(n)).map(r => r.body())"
    )
    result = run(code, host)
    assert result.value == [f"u{i}" for i in range(12)]
    assert [len(batch) for batch in host.batches] == [MAX_HTTP_BATCH, 12 - MAX_HTTP_BATCH]


def test_a_tool_gets_at_most_100_requests() -> None:
    code = """
    let last;
    for (let i = 0; i <= 100; i++) {
      try { await sdk.http({url: 'u'}) } catch (e) { last = [i, e.message, e.code] }
    }
    return last;
    """
    result = run(code)
    assert result.value == [
        MAX_HTTP_CALLS,
        f"sdk.http: at most {MAX_HTTP_CALLS} requests per tool call",
        "too_many_requests",
    ]


def test_a_host_error_is_catchable_and_uncaught_names_the_calling_line() -> None:
    caught = run("try { await sdk.http({url: 'fail'}) } catch (e) { return [e.message, e.code] }")
    assert caught.value == ["sdk.http: That address is blocked", "address_blocked"]
    uncaught = run("const a = 1;\n\nawait sdk.http({url: 'fail'})")
    assert (uncaught.error_kind, uncaught.error) == (
        "thrown",
        "Error: sdk.http: That address is blocked (line 3)",
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("sdk.http('https://x')", "sdk.http: expects an object {method, url, headers, body}"),
        ("sdk.http({})", "sdk.http: url must be a string like https://api.example.com/v1"),
        ("sdk.http({url: 'u', headers: 5})", "sdk.http: headers must be an object of strings"),
        (
            "sdk.http({url: 'u', body: 10n})",
            "sdk.http: TypeError: BigInt are forbidden in JSON.stringify",
        ),
    ],
)
def test_a_request_that_cannot_be_sent_is_refused_before_the_host(call: str, message: str) -> None:
    host = FakeHost()
    result = run(f"try {{ await {call} }} catch (e) {{ return [e.message, e.code] }}", host)
    assert result.value == [message, "request_invalid"]
    assert host.batches == []


def test_time_spent_waiting_for_the_host_counts_against_the_deadline() -> None:
    host = FakeHost(delay_s=0.4)
    started = time.monotonic()
    result = run(
        "console.log('before');\nawait sdk.http({url: 'u'}); return 1", host, timeout_s=0.3
    )
    assert (result.error_kind, result.error) == ("timeout", "Tool timed out after 0.3 s")
    assert result.console == ("before",)
    assert 0 < host.remaining[0] <= 0.3
    assert time.monotonic() - started < 5


def test_the_budget_can_be_shorter_than_the_timeout() -> None:
    result = execute(invocation("while (true) {}", timeout_s=30), budget_s=0.2)
    assert (result.error_kind, result.error) == ("timeout", "Tool timed out after 30 s")
    assert result.duration_ms < 10_000


def test_lodash_loads_on_first_use_or_ahead_of_the_call() -> None:
    source = load_lodash()
    lazy = WarmContext(source)
    assert lazy.lodash_loaded is False
    result = execute(invocation("return [typeof _, _.chunk([1, 2, 3], 2)]"), warm=lazy)
    assert result.value == ["function", [[1, 2], [3]]]
    eager = WarmContext(source)
    eager.load_lodash()
    assert eager.lodash_loaded is True
    assert execute(invocation("return sdk._.sum([1, 2])"), warm=eager).value == 3


def test_a_source_that_is_not_lodash_is_refused_when_loaded() -> None:
    context = WarmContext("globalThis.notLodash = 1")
    with pytest.raises(ValueError, match="did not define _"):
        context.load_lodash()


def test_a_warm_context_serves_one_call_only() -> None:
    warm = WarmContext()
    assert execute(invocation("return 1"), warm=warm).value == 1
    again = execute(invocation("return 2"), warm=warm)
    assert again.error_kind == "crash"


def test_load_lodash_names_make_install_when_the_file_is_missing(tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError, match="make install"):
        load_lodash(tmp_path / "lodash.min.js")
    assert LODASH_PATH.name == "lodash.min.js"


def test_in_process_sdk_http_says_it_is_unavailable() -> None:
    result = execute(invocation("\nawait sdk.http({url: 'https://example.com'})"))
    assert (result.error_kind, result.error) == (
        "thrown",
        "Error: sdk.http is not available in the in-process runner (line 2)",
    )
