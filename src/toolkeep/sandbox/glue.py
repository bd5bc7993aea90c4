"""The JavaScript that runs in every fresh context before the tool's code.

``GLUE_JS``, the core, is all a fresh context parses (parsing is most of a context's cost,
about 45 ns per character of code). It captures the intrinsics before user code can touch
them, builds ``console`` and ``sdk``, starts the tool's async function and records how its
promise settles. It installs nothing global but the lodash accessor ``_``: the engine
driver keeps the one dispatch function it returns, so tool code cannot reach it. No Python
callable is ever exposed to JS.

The rest is handed to the context as strings (``WarmContext`` offers them: a Python string
costs next to nothing to pass) and evaluated by the core, once, when first needed:

* ``SUPPORT_JS``: the console's formatting and the description of a failure, on the first
  ``console`` call or when the tool fails;
* ``HOST_JS``: the host-call machinery, when the tool first touches ``sdk.http`` or
  ``sdk.db``. Each host call queues a request in one outbox and returns a promise. The
  driver collects the outbox when JS has nothing left to run, has the host perform the
  requests (the process pool's parent: the SSRF guard, the database drivers) and settles
  the promises with the answers. The in-process runner has no host: there both reject as
  unavailable. A context whose tool never touched them has an empty outbox;
* ``DB_JS``: the client of ``toolkeep.sandbox.db.prelude``, on first use of ``sdk.db``,
  handed the host part's own host call (kind ``"db"``).

Tool code may have tampered with globals by then, so ``SUPPORT_JS`` and ``HOST_JS`` look up
no global at all: each is one function expression that receives the intrinsics the core
captured. The db client captures its own when it is parsed, so a tool that tampered first can
only subvert its own query builder: the parent checks every query as if it came from raw().
Every source has fewer lines than ``engine.LINE_OFFSET`` (tested), so stack frames in glue
code are never taken for the tool's.

lodash (global ``_`` and ``sdk._``), when its source is offered to the context, is evaluated
on first use (about 9 ms of parsing), or ahead of the call by ``WarmContext.load_lodash``
when a pool worker has idle time to spend on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from toolkeep.sandbox.db.prelude import DB_PRELUDE_EXPRESSION, HOST_CALL_KIND

MAX_CONSOLE_CHARS: Final = 1024 * 1024
MAX_TEXT_CHARS: Final = 16 * 1024
CONSOLE_TRUNCATED: Final = "… console output truncated: over 1 MB"
MAX_HTTP_CALLS: Final = 100  # sdk.http requests per tool call
MAX_HTTP_BATCH: Final = 10  # requests handed to the host at once (run concurrently there)
MAX_HTTP_BODY_CHARS: Final = 10 * 1024 * 1024
HTTP_UNAVAILABLE: Final = "sdk.http is not available in the in-process runner"
MAX_DB_CALLS: Final = 100  # sdk.db queries per tool call
DB_UNAVAILABLE: Final = "sdk.db is not available in the in-process runner"
LODASH_PATH: Final = Path(__file__).parent / "js" / "node_modules" / "lodash" / "lodash.min.js"


class LodashMissing(FileNotFoundError):
    """The lodash file the sandbox preloads is not installed."""


def load_lodash(path: Path | str = LODASH_PATH) -> str:
    """The source of ``lodash.min.js``; a missing file says how to install it."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise LodashMissing(
            f"lodash is not installed at {path} ({exc.strerror or exc}): run `make install` "
            "(it runs `npm ci --prefix src/toolkeep/sandbox/js`)"
        ) from None
    if "lodash" not in source[:2000]:
        raise LodashMissing(f"{path} does not look like lodash.min.js")
    return source


_CORE: Final = r"""
(function () {
  "use strict";
  const stringify = JSON.stringify, parse = JSON.parse, freeze = Object.freeze;
  const create = Object.create, keys = Object.keys, define = Object.defineProperty;
  const apply = Reflect.apply, then = Promise.prototype.then, NativePromise = Promise;
  const toStr = String, NativeError = Error, slice = String.prototype.slice;
  const lower = String.prototype.toLowerCase, splice = Array.prototype.splice;
  const indirectEval = eval;
  let state = 0, outcome, promise, payload, size = 0, withHost = false;
  let lodash, lodashSource = null, loadingLodash = false;
  let supportSource, hostSource, dbSource, support = null, host = null, db = null;

  // The parts parsed on first use get the intrinsics captured above, never globals.
  function more() {
    if (support === null) {
      support = indirectEval(supportSource)(stringify, toStr, NativeError, apply, slice);
    }
    return support;
  }
  function loadHost() {
    if (host === null) {
      host = indirectEval(hostSource)(withHost, more, stringify, parse, freeze, create, keys,
        define, apply, NativePromise, toStr, NativeError, lower, splice);
    }
    return host;
  }
  const console = freeze({
    log(...args) { more().emit("", args); },
    info(...args) { more().emit("[info] ", args); },
    debug(...args) { more().emit("[debug] ", args); },
    warn(...args) { more().emit("[warn] ", args); },
    error(...args) { more().emit("[error] ", args); },
  });
  const sdk = freeze({
    get http() { return loadHost().http; },
    get db() { return db === null ? db = indirectEval(dbSource)(null, loadHost().db) : db; },
    get _() { return loadLodash(); },
  });
  function loadLodash() {
    if (lodashSource !== null) {
      const source = lodashSource;
      lodashSource = null;
      loadingLodash = true;
      try { indirectEval(source); } finally { loadingLodash = false; }  // it sets root._
    }
    return lodash;
  }
  function offer(lodashJs, supportJs, hostJs, dbJs) {
    supportSource = supportJs;
    hostSource = hostJs;
    dbSource = dbJs;
    if (lodashJs === null) return;
    lodashSource = lodashJs;
    define(globalThis, "_", {
      get() { return loadLodash(); },
      set(value) {
        if (loadingLodash) lodash = value;
        define(globalThis, "_", { value: value, writable: true, configurable: true });
      },
      configurable: true,
    });
  }

  function ok(value) { if (state === 0) { state = 1; outcome = value; } }
  function fail(reason) { if (state === 0) { state = 2; outcome = reason; } }
  function watch() { apply(then, promise, [ok, fail]); }
  function start(fn, paramsJson, envJson, hostCalls) {
    const params = parse(paramsJson), env = freeze(parse(envJson));
    withHost = hostCalls === true;
    try {
      promise = fn(params, env, console, sdk);
    } catch (e) {
      fail(e);
      return;
    }
    if (promise instanceof NativePromise) watch(); else ok(promise);
  }
  // Strings handed to Python must be flat: the wrapper cannot read QuickJS rope strings,
  // so the tag and the JSON payload (flat, straight from JSON.stringify) travel apart.
  function finish(maxChars) {
    if (state === 0) return "p";
    if (state === 2) {
      payload = more().failure(outcome, false);
      return "e";
    }
    if (outcome === undefined) return "u";
    if (typeof outcome === "string" && outcome.length > maxChars) {
      size = outcome.length + 2;  // too large before serializing it (which needs a copy)
      return "L";
    }
    try {
      payload = stringify(outcome);
    } catch (e) {
      payload = more().failure(e, true);
      return "e";
    }
    if (typeof payload !== "string") return "u";  // a function or a symbol
    size = payload.length;
    return size > maxChars ? "L" : "v";
  }
  return function (command, a, b, c, d) {
    switch (command) {
      case "start": return start(a, b, c, d);
      case "watch": return watch();
      case "state": return state;
      case "finish": return finish(a);
      case "payload": return payload;
      case "size": return size;
      case "console": return support === null ? "[]" : support.console();
      case "outbox": return host === null ? "" : host.outbox();
      case "settle": if (host !== null) host.settle(a); return;
      case "offer": return offer(a, b, c, d);
      case "load": return typeof loadLodash();
    }
    throw new NativeError("unknown glue command " + command);
  };
})()
"""
_SUPPORT: Final = r"""(function (stringify, toStr, NativeError, apply, slice) {
  "use strict";
  const MAX_CONSOLE = $MAX_CONSOLE, MAX_TEXT = $MAX_TEXT, TRUNCATED = $TRUNCATED;
  const lines = [];
  let used = 0, full = false;

  function cut(text, max) {
    return text.length > max ? apply(slice, text, [0, max]) : text;
  }
  function show(value) {
    if (typeof value === "string") return value;
    try {
      if (value instanceof NativeError) return toStr(value.name) + ": " + toStr(value.message);
      if (typeof value === "object" && value !== null) {
        const text = stringify(value);
        if (typeof text === "string") return text;
      }
    } catch (e) { /* fall back to String() */ }
    try { return toStr(value); } catch (e) { return "[unprintable value]"; }
  }
  function emit(prefix, args) {
    if (full) return;
    let text = prefix;
    for (let i = 0; i < args.length; i++) text += (i ? " " : "") + show(args[i]);
    if (used + text.length > MAX_CONSOLE) {
      text = cut(text, MAX_CONSOLE - used);
      full = true;
    }
    used += text.length;
    lines[lines.length] = text;
    if (full) lines[lines.length] = TRUNCATED;
  }
  function describe(reason) {
    if (reason === null) return { memory: true };  // the engine throws null when out of memory
    if (reason instanceof NativeError) {
      let name = "Error", message = "", stack = "";
      try { name = toStr(reason.name); } catch (e) { /* keep the default */ }
      try { message = toStr(reason.message); } catch (e) { /* keep the default */ }
      try { stack = toStr(reason.stack); } catch (e) { /* keep the default */ }
      if (name === "InternalError" && message === "out of memory") return { memory: true };
      return { name: cut(name, 200), message: cut(message, MAX_TEXT), stack: cut(stack, MAX_TEXT) };
    }
    return { message: cut(show(reason), MAX_TEXT) };
  }
  // The failure as the driver's JSON payload; `serializing`: the tool's value would not go.
  function failure(reason, serializing) {
    const described = describe(reason);
    if (serializing) described.serializing = true;
    return stringify(described);
  }
  function console() { return stringify(lines); }
  return { show: show, emit: emit, failure: failure, console: console };
})"""
_HOST: Final = r"""(function (hostCalls, more, stringify, parse, freeze, create, keys,
  define, apply, NativePromise, toStr, NativeError, lower, splice) {
  "use strict";
  const MAX_CALLS = $MAX_CALLS, MAX_BATCH = $MAX_BATCH, MAX_BODY = $MAX_BODY;
  const MAX_DB_CALLS = $MAX_DB_CALLS, DB = $DB_KIND;
  const queued = [], waiting = create(null);
  let sent = 0, dbSent = 0, nextId = 0;

  // sdk.http: the error is created at the call so its stack shows the tool's line.
  function failure(site, message, code) {
    site.message = message;
    if (code !== void 0) site.code = code;
    return site;
  }
  function field(target, name, value) {
    define(target, name, { value: value, enumerable: true, writable: true, configurable: true });
  }
  function request(spec) {
    if (typeof spec !== "object" || spec === null) {
      throw "expects an object {method, url, headers, body}";
    }
    const headers = {}, given = spec.headers;
    let typed = false;
    if (given !== void 0 && given !== null) {
      if (typeof given !== "object") throw "headers must be an object of strings";
      const names = keys(given);
      for (let i = 0; i < names.length; i++) {
        field(headers, names[i], toStr(given[names[i]]));
        if (apply(lower, names[i], []) === "content-type") typed = true;
      }
    }
    let body = spec.body;
    if (body === void 0 || body === null) body = null;
    else if (typeof body !== "string") {
      body = stringify(body);  // an object is sent as JSON
      if (typeof body !== "string") throw "body must be a string or a JSON-serializable value";
      if (!typed) field(headers, "Content-Type", "application/json");
    }
    if (body !== null && body.length > MAX_BODY) throw "the request body is larger than 10 MB";
    if (typeof spec.url !== "string") throw "url must be a string like https://api.example.com/v1";
    const method = spec.method === void 0 ? "GET" : toStr(spec.method);
    return { method: method, url: spec.url, headers: headers, body: body };
  }
  function http(spec) {
    const site = new NativeError("sdk.http");
    return new NativePromise(function (resolve, reject) {
      if (!hostCalls) return reject(failure(site, $UNAVAILABLE));
      if (sent >= MAX_CALLS) {
        const text = "sdk.http: at most " + MAX_CALLS + " requests per tool call";
        return reject(failure(site, text, "too_many_requests"));
      }
      let normalized;
      try { normalized = request(spec); } catch (e) {
        const text = "sdk.http: " + (typeof e === "string" ? e : more().show(e));
        return reject(failure(site, text, "request_invalid"));
      }
      sent++;
      enqueue({ kind: "http", resolve: resolve, reject: reject, site: site }, normalized);
    });
  }
  function enqueue(entry, payload) {
    const id = nextId++;
    waiting[id] = entry;
    queued[queued.length] = [id, entry.kind, payload];
  }
  // sdk.db's host call. The prelude's client makes the rows, and the Error at the tool's
  // line, itself: this resolves with the host's `ok` and rejects with its `error` as is.
  function dbCall(kind, payload) {
    return new NativePromise(function (resolve, reject) {
      if (!hostCalls) return reject({ code: "unavailable", message: $DB_UNAVAILABLE });
      if (dbSent >= MAX_DB_CALLS) {
        const text = "at most " + MAX_DB_CALLS + " queries per tool call";
        return reject({ code: "too_many_queries", message: text });
      }
      dbSent++;
      enqueue({ kind: DB, resolve: resolve, reject: reject }, payload);
    });
  }
  function response(r) {
    const status = r.status, body = r.body, url = r.url, seen = create(null);
    for (let i = 0; i < r.headers.length; i++) {
      const name = apply(lower, r.headers[i][0], []), value = r.headers[i][1];
      seen[name] = name in seen ? seen[name] + ", " + value : value;
    }
    const names = keys(seen);
    return freeze({
      status() { return status; },
      body() { return body; },
      json() { return parse(body); },
      url() { return url; },
      headers() {
        const out = {};
        for (let i = 0; i < names.length; i++) field(out, names[i], seen[names[i]]);
        return out;
      },
    });
  }
  function outbox() {
    if (queued.length === 0) return "";
    return stringify(apply(splice, queued, [0, MAX_BATCH]));
  }
  function settle(answersJson) {
    const answers = parse(answersJson);
    for (let i = 0; i < answers.length; i++) {
      const id = answers[i][0], answer = answers[i][1], entry = waiting[id];
      if (entry === void 0) continue;
      delete waiting[id];
      if (entry.kind === DB) {
        if (answer.ok !== void 0) entry.resolve(answer.ok); else entry.reject(answer.error);
      } else if (answer.ok !== void 0) entry.resolve(response(answer.ok));
      else {
        const text = "sdk.http: " + answer.error.message;
        entry.reject(failure(entry.site, text, answer.error.code));
      }
    }
  }
  return { http: http, db: dbCall, outbox: outbox, settle: settle };
})"""
GLUE_JS: Final = _CORE
SUPPORT_JS: Final = (
    _SUPPORT.replace("$MAX_CONSOLE", str(MAX_CONSOLE_CHARS))
    .replace("$MAX_TEXT", str(MAX_TEXT_CHARS))
    .replace("$TRUNCATED", json.dumps(CONSOLE_TRUNCATED))
)
HOST_JS: Final = (
    _HOST.replace("$MAX_CALLS", str(MAX_HTTP_CALLS))
    .replace("$MAX_BATCH", str(MAX_HTTP_BATCH))
    .replace("$MAX_BODY", str(MAX_HTTP_BODY_CHARS))
    .replace("$UNAVAILABLE", json.dumps(HTTP_UNAVAILABLE))
    .replace("$MAX_DB_CALLS", str(MAX_DB_CALLS))
    .replace("$DB_KIND", json.dumps(HOST_CALL_KIND))
    .replace("$DB_UNAVAILABLE", json.dumps(DB_UNAVAILABLE))
)
DB_JS: Final = DB_PRELUDE_EXPRESSION
