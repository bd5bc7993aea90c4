"""Run one invocation in a fresh QuickJS context, synchronously, on the calling thread.

Shared by every runner: the in-process thread runner calls it on a worker thread, the
process pool calls it inside its worker processes. A context is created, used and freed on
one thread and never reused, so nothing survives from one call to the next. A pool worker
builds the next context ahead of the call (``WarmContext``: the glue, and lodash when the
worker has idle time); the in-process runner builds one per call, lodash loading lazily.

Host calls (``sdk.http``, ``sdk.db``): tool code queues requests in the glue's outbox and
awaits a promise. When no JS job is left and the tool's promise is still pending, the driver takes
the queued requests and hands them to the ``host_calls`` callback (blocking, bounded by the
time left); the answers settle the promises and the jobs run on. Waiting for the host counts
against the wall-clock deadline, not against the engine's CPU-time limit.

Limits: the engine's memory limit and stack limit; before every entry into JS the time
limit is re-armed with the time left to the deadline (QuickJS measures it as process CPU
time), and the wall-clock deadline is checked between promise jobs. An uninterruptible
built-in (``new Array(1e9).join('')``) can still overrun: the process pool's SIGKILL is the
backstop for that.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol, cast

from toolkeep.sandbox.glue import (
    CONSOLE_TRUNCATED,
    DB_JS,
    GLUE_JS,
    HOST_JS,
    MAX_CONSOLE_CHARS,
    SUPPORT_JS,
    LodashMissing,
    load_lodash,
)
from toolkeep.sandbox.runner import ToolInvocation, ToolRunResult

log = logging.getLogger("toolkeep.sandbox")

LINE_OFFSET: Final = 1000  # user line n is script line LINE_OFFSET + n; glue sources are shorter
HEADER: Final = "(async function (params, env, console, sdk) {"
STACK_LIMIT: Final = 1024 * 1024
PREPARE_LIMIT_S: Final = 10.0  # evaluating the glue and lodash into a fresh context
PREPARE_MEMORY: Final = 64 * 1024 * 1024  # the call's own limit replaces it
MAX_RESULT_BYTES: Final = 4 * 1024 * 1024
MAX_CONSOLE_BYTES: Final = MAX_CONSOLE_CHARS
CONSOLE_GRACE_S: Final = 1.0  # collecting console lines runs only glue code, after the deadline
_FRAME = re.compile(r"<input>:(\d+)")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _JsContext(Protocol):
    """The part of ``quickjs.Context`` (quickjs-ng) the driver uses."""

    def eval(self, code: str) -> Any: ...
    def execute_pending_job(self) -> bool: ...
    def set_memory_limit(self, limit: int) -> None: ...
    def set_time_limit(self, limit: float) -> None: ...
    def set_max_stack_size(self, limit: int) -> None: ...


_quickjs: Any = importlib.import_module("quickjs")  # untyped C extension, behind _JsContext
JSException: Final[type[Exception]] = _quickjs.JSException


class _Timeout(Exception):
    """The wall-clock deadline passed between two entries into JS."""


@dataclass(frozen=True, slots=True)
class HostRequest:
    """A request tool code queued for the host: kind ``"http"`` is one ``sdk.http`` call,
    ``payload`` its normalized ``{method, url, headers, body}``; kind ``"db"`` is one
    ``sdk.db`` statement, ``payload`` its ``{type, connection, sql, bindings}``."""

    kind: str
    payload: Any


HostOutcome = dict[str, Any]  # {"ok": value} or {"error": {"code": str, "message": str}}
HostCalls = Callable[[Sequence[HostRequest], float], Sequence[HostOutcome]]
"""Perform a batch of host requests within the given seconds, blocking; one outcome each."""


class WarmContext:
    """A fresh context with the glue's core evaluated, for one call only; build, use and drop
    it on the same thread. The rest of the glue (console formatting, host calls, the sdk.db
    client) is offered as source and parsed on first use. With ``lodash_js``, ``_`` and
    ``sdk._`` load lodash on first use, or now with ``load_lodash()`` (raises
    ``JSException`` or ``ValueError`` if it fails)."""

    def __init__(self, lodash_js: str | None = None) -> None:
        context = cast(_JsContext, _quickjs.Context())
        context.set_max_stack_size(STACK_LIMIT)
        context.set_memory_limit(PREPARE_MEMORY)
        context.set_time_limit(PREPARE_LIMIT_S)
        self.glue: Callable[..., Any] = context.eval(GLUE_JS)
        self.context = context
        self.lodash_loaded = lodash_js is None
        self.glue("offer", lodash_js, SUPPORT_JS, HOST_JS, DB_JS)  # parsed on first use, if ever
        self.used = False

    def load_lodash(self) -> None:
        if not self.lodash_loaded:
            self.context.set_time_limit(PREPARE_LIMIT_S)
            if self.glue("load") != "function":
                raise ValueError("the lodash source did not define _")
            self.lodash_loaded = True


def execute(
    invocation: ToolInvocation,
    *,
    warm: WarmContext | None = None,
    host_calls: HostCalls | None = None,
    budget_s: float | None = None,
) -> ToolRunResult:
    """Run the tool; every failure becomes a result, never an exception.

    ``warm``: a context prepared ahead (else a bare one is built now). ``host_calls``: what
    performs ``sdk.http`` and ``sdk.db`` (else they reject as unavailable). ``budget_s``:
    wall-clock seconds left for this call (default ``invocation.timeout_s``; the pool passes
    what its queue left).
    """
    started = time.perf_counter()
    try:
        result = _Execution(invocation, host_calls, budget_s).run(
            warm if warm is not None else _bare_context()
        )
    except Exception:
        log.exception("sandbox crashed running tool %r", invocation.tool_name)
        result = ToolRunResult(None, error="The sandbox failed unexpectedly.", error_kind="crash")
    return replace(result, duration_ms=(time.perf_counter() - started) * 1000)


class _Execution:
    def __init__(
        self, invocation: ToolInvocation, host_calls: HostCalls | None, budget_s: float | None
    ) -> None:
        self.invocation = invocation
        budget = invocation.timeout_s if budget_s is None else min(budget_s, invocation.timeout_s)
        self.deadline = time.monotonic() + budget
        self.host_calls = host_calls
        self.code_lines = invocation.code.count("\n") + 1

    def run(self, warm: WarmContext) -> ToolRunResult:
        if warm.used:
            raise RuntimeError("a warm context serves one call only")
        warm.used = True
        try:
            params = json.dumps(self.invocation.arguments, allow_nan=False)
            env = json.dumps(dict(self.invocation.env))
        except (TypeError, ValueError):
            return ToolRunResult(
                None, error="The arguments are not plain JSON.", error_kind="crash"
            )
        self.context = warm.context
        try:
            self.context.set_memory_limit(self.invocation.memory_limit_bytes)
            return self._run(warm.glue, params, env)
        finally:
            del self.context  # the caller drops ``warm``: freed on the thread that made it

    def _run(self, glue: Callable[..., Any], params: str, env: str) -> ToolRunResult:
        try:
            script = "\n" * (LINE_OFFSET - 1) + HEADER + "\n" + self.invocation.code + "\n})"
            function = self._enter(self.context.eval, script)
            self._enter(glue, "start", function, params, env, self.host_calls is not None)
            del function
            self._drive(glue)
            return self._with_console(glue, self._result(glue))
        except _Timeout:
            return self._with_console(glue, self._timeout())
        except JSException as exc:
            return self._with_console(glue, self._engine_failure(exc))

    def _enter(self, function: Callable[..., Any], *args: Any) -> Any:
        """Every entry into JS: re-arm the engine's time limit with the time left."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout
        self.context.set_time_limit(remaining)
        return function(*args)

    def _drive(self, glue: Callable[..., Any]) -> None:
        """Run promise jobs until the tool's promise settles or nothing is left to run.

        When jobs run out with the promise still pending, the promise may have been
        rejected while memory was exhausted (the reaction job could not be queued), so
        handlers are attached once more, now that the memory is free again.
        """
        rewatched = False
        while self._enter(glue, "state") == 0:
            if self._enter(self.context.execute_pending_job):
                continue
            if self._host_round(glue):
                rewatched = False
                continue
            if rewatched:
                return
            self._enter(glue, "watch")
            rewatched = True

    def _host_round(self, glue: Callable[..., Any]) -> bool:
        """Hand the queued host requests to the host and settle their promises."""
        batch = self._enter(glue, "outbox")
        if not batch or self.host_calls is None:
            return False
        queued = json.loads(batch)  # [[id, kind, payload], ...], written by the glue
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout
        outcomes = self.host_calls(
            [HostRequest(kind, payload) for _, kind, payload in queued], remaining
        )
        answers = [[entry[0], outcome] for entry, outcome in zip(queued, outcomes, strict=True)]
        self._enter(glue, "settle", json.dumps(answers, ensure_ascii=False))
        return True

    def _result(self, glue: Callable[..., Any]) -> ToolRunResult:
        tag = self._enter(glue, "finish", MAX_RESULT_BYTES)
        if tag == "u":
            return ToolRunResult(None, undefined=True)
        if tag == "p":
            return _failed(
                "The tool never finished: it awaits a promise that never settles "
                "(the sandbox has no timers or events; only sdk calls settle on their own)."
            )
        if tag == "L":
            return self._too_large(int(self._enter(glue, "size")))
        payload = self._enter(glue, "payload")
        if tag == "v":
            return self._value(payload)
        try:
            described = json.loads(payload)
        except (TypeError, ValueError, RecursionError):
            described = None
        if not isinstance(described, dict):
            return _failed("The tool threw a value that cannot be shown.")
        return self._thrown(_well_formed(described))

    def _value(self, text: str) -> ToolRunResult:
        size = len(text.encode("utf-8"))
        if size > MAX_RESULT_BYTES:
            return self._too_large(size)
        try:
            value = json.loads(text)
            if "\\u" in text:  # JSON.stringify escapes lone surrogates; Python cannot encode them
                value = _well_formed(value)
            return ToolRunResult(value)
        except RecursionError:
            return ToolRunResult(
                None,
                error="The tool's return value is nested too deeply to convert to JSON.",
                error_kind="result_too_large",
            )

    def _too_large(self, size: int) -> ToolRunResult:
        mb = size / (1024 * 1024)
        return ToolRunResult(
            None,
            error=f"The tool's return value is {mb:.1f} MB of JSON; the limit is "
            f"{MAX_RESULT_BYTES // (1024 * 1024)} MB.",
            error_kind="result_too_large",
        )

    def _thrown(self, described: dict[str, Any]) -> ToolRunResult:
        if described.get("memory"):
            return self._memory()
        name, message = described.get("name"), described.get("message", "")
        text = f"{name}: {message}" if name and message else name or message or "Error"
        line = self._user_line(described.get("stack") or "")
        if line is not None:
            text += f" (line {line})"
        if described.get("serializing"):
            text = f"The tool's return value cannot be converted to JSON: {text}"
        return _failed(text)

    def _engine_failure(self, exc: Exception) -> ToolRunResult:
        """A JS exception that reached Python: the interrupt, memory, a syntax error."""
        first, _, stack = str(exc).partition("\n")
        if first == "InternalError: interrupted":
            return self._timeout()
        if first == "null" or "out of memory" in first:
            return self._memory()
        name, _, message = first.partition(": ")
        return self._thrown({"name": name, "message": message, "stack": stack})

    def _user_line(self, stack: str) -> int | None:
        """The innermost frame in the tool's own code, as a line of that code."""
        for match in _FRAME.finditer(stack):
            line = int(match.group(1)) - LINE_OFFSET
            if line >= 1:
                return min(line, self.code_lines)
        return None

    def _timeout(self) -> ToolRunResult:
        return ToolRunResult(
            None,
            error=f"Tool timed out after {_number(self.invocation.timeout_s)} s",
            error_kind="timeout",
        )

    def _memory(self) -> ToolRunResult:
        mb = self.invocation.memory_limit_bytes / (1024 * 1024)
        return ToolRunResult(
            None, error=f"Tool exceeded {_number(mb)} MB of memory", error_kind="memory"
        )

    def _with_console(self, glue: Callable[..., Any], result: ToolRunResult) -> ToolRunResult:
        try:
            self.context.set_time_limit(CONSOLE_GRACE_S)
            text = glue("console")
            lines = json.loads(text) if text != "[]" else []  # "[]": nothing logged
        except (JSException, TypeError, ValueError, RecursionError):
            return result  # out of memory or time even for the glue: no lines to show
        if not isinstance(lines, list):
            return result  # the tool hijacked JSON (Object.prototype.toJSON): its own loss
        if not lines:
            return result
        return replace(result, console=_capped([_well_formed(str(line)) for line in lines]))


def _bare_context() -> WarmContext:
    """The in-process runner's context: lodash loads on first use, when it is installed."""
    global _lodash_source
    if _lodash_source is None:
        try:
            _lodash_source = load_lodash()
        except LodashMissing:
            _lodash_source = ""
    return WarmContext(_lodash_source or None)


_lodash_source: str | None = None


def _failed(message: str) -> ToolRunResult:
    return ToolRunResult(None, error=message, error_kind="thrown")


def _capped(lines: list[str]) -> tuple[str, ...]:
    """At most ``MAX_CONSOLE_BYTES`` of UTF-8 (the glue counted characters)."""
    kept: list[str] = []
    used = 0
    for line in lines:
        size = len(line.encode("utf-8"))
        if used + size > MAX_CONSOLE_BYTES and line != CONSOLE_TRUNCATED:
            room = MAX_CONSOLE_BYTES - used
            kept.append(line.encode("utf-8")[:room].decode("utf-8", "ignore"))
            kept.append(CONSOLE_TRUNCATED)
            break
        kept.append(line)
        used += size
    return tuple(kept)


def _well_formed(value: Any) -> Any:
    """Replace lone surrogates (valid in a JS string, not in UTF-8) with U+FFFD."""
    if isinstance(value, str):
        if _SURROGATE.search(value) is None:
            return value
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_well_formed(item) for item in value]
    if isinstance(value, dict):
        return {_well_formed(key): _well_formed(item) for key, item in value.items()}
    return value


def _number(value: float) -> str:
    return f"{value:g}"
