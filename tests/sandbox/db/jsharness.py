"""DB_PRELUDE in a real QuickJS context, with only the host-call boundary faked.

The fake ``hostCall`` records each ``(kind, payload)`` and returns a pending promise; the
test answers it from Python (canned rows, or ``db_outcome`` against a real database), and
the harness settles the promise the way the glue will: ``ok`` resolves, ``error`` rejects.
Every loop is bounded (job count, host rounds, a time limit on the engine).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from toolkeep.sandbox.db import DB_PRELUDE

_quickjs: Any = importlib.import_module("quickjs")

Answer = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
MAX_JOBS = 10_000
MAX_ROUNDS = 50

HARNESS_JS = r"""
var __calls = [], __waiting = {}, __next = 0, __out = {};
function __hostCall(kind, payload) {
  return new Promise(function (resolve, reject) {
    var id = __next++;
    __waiting[id] = { resolve: resolve, reject: reject };
    __calls.push([id, kind, payload]);
  });
}
function __take() { var calls = __calls; __calls = []; return JSON.stringify(calls); }
function __settle(id, outcomeJson) {
  var outcome = JSON.parse(outcomeJson), entry = __waiting[id];
  delete __waiting[id];
  if (outcome.ok !== undefined) entry.resolve(outcome.ok); else entry.reject(outcome.error);
}
function __describe(e) {
  if (e instanceof Error) {
    return { name: e.name, message: e.message, code: e.code === undefined ? null : e.code,
             dbCode: e.dbCode === undefined ? null : e.dbCode, stack: String(e.stack) };
  }
  return { thrown: String(e) };
}
function __start(body) {
  __out = {};
  var sdk = {};
  __toolkeep_install_db(sdk, __hostCall);
  var fn = new Function("sdk", "return (async function () {\n" + body + "\n})();");
  fn(sdk).then(function (value) {
    __out = { done: true, value: JSON.stringify(value === undefined ? null : value) };
  }, function (e) {
    __out = { done: true, error: JSON.stringify(__describe(e)) };
  });
}
"""


class ToolError(Exception):
    """What the tool's async function rejected with."""

    def __init__(self, described: dict[str, Any]) -> None:
        super().__init__(described.get("message") or described.get("thrown"))
        self.described = described
        self.code = described.get("code")
        self.db_code = described.get("dbCode")
        self.message = str(described.get("message"))


class JsHarness:
    def __init__(self) -> None:
        self.context = _quickjs.Context()
        self.context.set_time_limit(10)
        self.context.set_memory_limit(64 * 1024 * 1024)
        self.context.eval(DB_PRELUDE)
        self.context.eval(HARNESS_JS)
        self.payloads: list[dict[str, Any]] = []

    def eval_json(self, expression: str) -> Any:
        return json.loads(self.context.eval(f"JSON.stringify({expression})"))

    def _drain(self) -> None:
        for _ in range(MAX_JOBS):
            if not self.context.execute_pending_job():
                return
        raise AssertionError("the JS jobs did not settle")

    async def run(self, body: str, answer: Answer) -> Any:
        """Run ``body`` as an async tool body with ``sdk`` in scope; host calls go to
        ``answer``. Returns the JSON value, or raises :class:`ToolError`."""
        self.context.eval(f"__start({json.dumps(body)})")
        for _ in range(MAX_ROUNDS):
            self._drain()
            if self.context.eval("__out.done === true"):
                break
            calls = json.loads(self.context.eval("__take()"))
            if not calls:
                raise AssertionError("the tool waits for something that never comes")
            for call_id, kind, payload in calls:
                self.payloads.append(payload)
                outcome = await answer(kind, payload)
                self.context.eval(f"__settle({call_id}, {json.dumps(json.dumps(outcome))})")
        else:
            raise AssertionError("too many host rounds")
        if self.context.eval("__out.error !== undefined"):
            raise ToolError(json.loads(self.context.eval("__out.error")))
        return json.loads(self.context.eval("__out.value"))


def rows(*records: dict[str, Any], row_count: int | None = None, **extra: Any) -> Answer:
    """An answer that returns the same canned rows for every call."""

    async def answer(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert kind == "db"
        result = {
            "rows": list(records),
            "row_count": len(records) if row_count is None else row_count,
            "truncated": False,
            "fields": list(records[0]) if records else [],
            "last_insert_id": None,
        }
        result.update(extra)
        return {"ok": result}

    return answer


def failing(code: str, message: str, db_code: str | None = None) -> Answer:
    async def answer(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        error = {"code": code, "message": message}
        if db_code is not None:
            error["db_code"] = db_code
        return {"error": error}

    return answer
