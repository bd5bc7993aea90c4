"""The JavaScript that runs in every fresh context before the tool's code.

It captures the intrinsics it needs before user code can touch them, builds ``console``
and ``sdk``, starts the tool's async function and records how its promise settles. It
installs nothing global: the engine driver keeps the one dispatch function it returns, so
tool code cannot reach it. No Python callable is ever exposed to JS.
"""

from __future__ import annotations

import json
from typing import Final

MAX_CONSOLE_CHARS: Final = 1024 * 1024
MAX_TEXT_CHARS: Final = 16 * 1024
CONSOLE_TRUNCATED: Final = "… console output truncated: over 1 MB"
SDK_UNAVAILABLE: Final = ("http", "db")

_TEMPLATE: Final = r"""
(function () {
  "use strict";
  const stringify = JSON.stringify, parse = JSON.parse, freeze = Object.freeze;
  const apply = Reflect.apply, then = Promise.prototype.then, NativePromise = Promise;
  const toStr = String, NativeError = Error, slice = String.prototype.slice;
  const MAX_CONSOLE = $MAX_CONSOLE, MAX_TEXT = $MAX_TEXT, TRUNCATED = $TRUNCATED;
  const lines = [];
  let used = 0, full = false, state = 0, outcome, promise, payload;

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
  const console = freeze({
    log(...args) { emit("", args); },
    info(...args) { emit("[info] ", args); },
    debug(...args) { emit("[debug] ", args); },
    warn(...args) { emit("[warn] ", args); },
    error(...args) { emit("[error] ", args); },
  });
  function unavailable(name) {
    return function () { throw new NativeError("sdk." + name + " is not available yet"); };
  }
  const sdk = freeze({ $SDK });

  function ok(value) { if (state === 0) { state = 1; outcome = value; } }
  function fail(reason) { if (state === 0) { state = 2; outcome = reason; } }
  function watch() { apply(then, promise, [ok, fail]); }
  function start(fn, paramsJson, envJson) {
    const params = parse(paramsJson), env = freeze(parse(envJson));
    try {
      promise = fn(params, env, console, sdk);
    } catch (e) {
      fail(e);
      return;
    }
    if (promise instanceof NativePromise) watch(); else ok(promise);
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
  // Strings handed to Python must be flat: the wrapper cannot read QuickJS rope strings,
  // so the tag and the JSON payload (flat, straight from JSON.stringify) travel apart.
  function finish(maxChars) {
    if (state === 0) return "p";
    if (state === 2) {
      payload = stringify(describe(outcome));
      return "e";
    }
    if (outcome === undefined) return "u";
    try {
      payload = stringify(outcome);
    } catch (e) {
      const described = describe(e);
      described.serializing = true;
      payload = stringify(described);
      return "e";
    }
    if (typeof payload !== "string") return "u";  // a function or a symbol
    if (payload.length > maxChars) return "L";
    return "v";
  }
  return function (command, a, b, c) {
    switch (command) {
      case "start": return start(a, b, c);
      case "watch": return watch();
      case "state": return state;
      case "finish": return finish(a);
      case "payload": return payload;
      case "size": return payload.length;
      case "console": return stringify(lines);
    }
    throw new NativeError("unknown glue command " + command);
  };
})()
"""
GLUE_JS: Final = (
    _TEMPLATE.replace("$MAX_CONSOLE", str(MAX_CONSOLE_CHARS))
    .replace("$MAX_TEXT", str(MAX_TEXT_CHARS))
    .replace("$TRUNCATED", json.dumps(CONSOLE_TRUNCATED))
    .replace("$SDK", ", ".join(f'{name}: unavailable("{name}")' for name in SDK_UNAVAILABLE))
)
