"""``python -m bench.inproc``: Toolkeep's CPU per request with no uvicorn, no socket, no wrk.

It prepares the same data dir as ``python -m bench`` (user, server ``bench`` in api_key mode,
its key, the ``add`` and ``stats`` tools), builds ``toolkeep.app:create_app`` in this
process, runs its lifespan, and calls the ASGI app directly N times per scenario, one request
after another.
CPU is this process's user+sys time (every thread: the usage flusher and the sandbox run on
threads) plus that of any child process. Other load on the machine barely moves it, so it is
the noise-free complement of the wrk figures; it leaves out what uvicorn and httptools cost
per request (see the ``hello`` target of ``python -m bench`` for that).

.venv/bin/python -m bench.inproc [--requests 3000] [--repeat 3] [--warmup 500] [--only PREFIX]
                                [--profile CASE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import procstat, scenarios
from bench.scenarios import HttpRequest

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[MutableMapping[str, Any], Receive, Send], Coroutine[Any, Any, None]]

HOST = b"127.0.0.1:8000"


@dataclass(frozen=True, slots=True)
class Case:
    name: str  # scenario/form
    request: HttpRequest
    expected_status: int


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Figures:
    name: str
    requests: int
    cpu_us: float  # per request: this process (all threads) + child processes
    loop_us: float  # per request: the event-loop thread's share (the rest: threads, children)
    children_us: float  # per request: the child processes' share
    wall_us: float  # per request


class AsgiDriver:
    """Calls an ASGI app the way uvicorn would, minus the socket and the HTTP parser."""

    def __init__(self, app: App, path: str) -> None:
        self.app = app
        self.path = path
        self.state: dict[str, Any] = {}
        self._lifespan: asyncio.Task[None] | None = None
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()

    async def start(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self._lifespan = asyncio.create_task(self.app(scope, self._to_app.get, self._from_app.put))
        await self._to_app.put({"type": "lifespan.startup"})
        message = await self._from_app.get()
        if message["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"lifespan startup failed: {message}")

    async def stop(self) -> None:
        await self._to_app.put({"type": "lifespan.shutdown"})
        await self._from_app.get()
        if self._lifespan is not None:
            await self._lifespan

    def _scope(self, request: HttpRequest) -> dict[str, Any]:
        headers = [(b"host", HOST)] + [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in request.headers.items()
        ]
        headers.append((b"content-length", str(len(request.body)).encode()))
        return {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": self.path, "raw_path": self.path.encode(),
            "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
            "state": dict(self.state),
        }  # fmt: skip

    async def send(self, request: HttpRequest, *, keep: bool = True) -> Answer:
        """One request; ``keep=False`` skips collecting the body (the timed loop)."""
        status = 0
        headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": request.body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if keep:
                    headers.update(
                        (k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
                    )
            elif keep and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(self._scope(request), receive, send)
        return Answer(status, headers, b"".join(chunks))


def _result(answer: Answer) -> dict[str, Any] | None:
    try:
        payload = json.loads(answer.body)
    except ValueError:
        return None
    result = payload.get("result") if isinstance(payload, dict) else None
    return result if isinstance(result, dict) else None


def _verify(case: Case, answer: Answer) -> None:
    snippet = answer.body[:160].decode(errors="replace")
    if answer.status != case.expected_status:
        raise SystemExit(f"{case.name}: expected {case.expected_status}, got {answer.status}: "
                         f"{snippet}")  # fmt: skip
    if case.expected_status != 200:
        return
    result = _result(answer)
    if result is None:
        raise SystemExit(f"{case.name}: no JSON-RPC result: {snippet}")
    problem = scenarios.tool_result_problem(case.name.split("/")[0], result, snippet)
    if problem is not None:
        raise SystemExit(f"{case.name}: {problem}")


async def _open_session(driver: AsgiDriver, key: str) -> str:
    answer = await driver.send(scenarios.initialize(key))
    session = answer.headers.get("mcp-session-id")
    if answer.status != 200 or not session:
        raise SystemExit(f"initialize: {answer.status} {answer.body[:160]!r}")
    answer = await driver.send(scenarios.initialized(key, session))
    if answer.status not in (200, 202):
        raise SystemExit(f"notifications/initialized: {answer.status} {answer.body[:160]!r}")
    return session


def _cases(key: str, session: str) -> list[Case]:
    return [
        Case("tools_list/modern", scenarios.tools_list("modern", key), 200),
        Case("tools_list/legacy", scenarios.tools_list("legacy", key, session), 200),
        Case("unauthorized/modern", scenarios.tools_list("modern", None), 401),
        Case("tools_call/modern", scenarios.tools_call("modern", key), 200),
        Case("tools_call/legacy", scenarios.tools_call("legacy", key, session), 200),
        Case("tools_call_lodash/modern", scenarios.tools_call_lodash("modern", key), 200),
    ]


def _children_cpu_s() -> float:
    """CPU of child processes, live and reaped (the sandbox pool, when it runs in processes)."""
    return procstat.tree_cpu_seconds(os.getpid(), include_self=False)


async def _measure(
    driver: AsgiDriver, case: Case, n: int, warmup: int, flush_s: float,
    profile: cProfile.Profile | None,
) -> Figures:  # fmt: skip
    for _ in range(warmup):
        await driver.send(case.request, keep=False)
        await asyncio.sleep(0)
    await asyncio.sleep(flush_s)  # let the warm-up's usage rows be written outside the window
    request = case.request
    cpu0, kids0, wall0 = time.process_time(), _children_cpu_s(), time.perf_counter()
    loop0 = time.thread_time()
    if profile is not None:
        profile.enable()
    for _ in range(n):
        await driver.send(request, keep=False)
        await asyncio.sleep(0)  # as under uvicorn: background tasks (usage flusher) get to run
    wall = time.perf_counter() - wall0
    # The usage rows of the last interval are written by the flusher; wait for it inside the
    # CPU window (waiting costs no CPU) so every request's row is paid for.
    await asyncio.sleep(flush_s)
    if profile is not None:
        profile.disable()
    kids = _children_cpu_s() - kids0
    cpu = time.process_time() - cpu0 + kids
    loop = time.thread_time() - loop0
    return Figures(case.name, n, cpu / n * 1e6, loop / n * 1e6, kids / n * 1e6, wall / n * 1e6)


async def _run_hello(n: int) -> Figures:
    """The same loop over the empty ASGI app of the ``hello`` target: the driver's own cost."""
    from bench.targets.hello import app as hello_app

    driver = AsgiDriver(hello_app, "/mcp")
    await driver.start()
    case = Case("hello (driver floor)", scenarios.tools_list("modern", None), 200)
    figures = await _measure(driver, case, n, min(n, 500), 0.0, None)
    await driver.stop()
    return figures


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, list[Figures]]:
    """Every case ``--repeat`` times, interleaved (a burst of machine noise spreads over all)."""
    from bench.targets.toolkeep import prepare_toolkeep, server_env, settings_for
    from toolkeep.app import create_app

    mcp_path, key = prepare_toolkeep(data_dir)
    os.environ.update(server_env(data_dir))
    settings = settings_for(data_dir)
    driver = AsgiDriver(create_app(settings), mcp_path)
    await driver.start()
    flush_s = settings.usage_flush_interval + 0.25
    runs: dict[str, list[Figures]] = {}
    try:
        session = await _open_session(driver, key)
        cases = [c for c in _cases(key, session)
                 if not args.only or any(c.name.startswith(o) for o in args.only)]  # fmt: skip
        for case in cases:
            _verify(case, await driver.send(case.request))
        for i in range(args.repeat):
            for case in cases:
                profile = None
                if args.profile == case.name and i == 0:
                    profile = cProfile.Profile(time.thread_time)  # CPU, not waits
                figures = await _measure(driver, case, args.requests, args.warmup, flush_s, profile)
                runs.setdefault(case.name, []).append(figures)
                print(_line(figures) + f"   [run {i + 1}/{args.repeat}]", flush=True)
                if profile is not None:
                    stats = pstats.Stats(profile, stream=sys.stdout)
                    stats.sort_stats(args.sort).print_stats(args.top)
    finally:
        await driver.stop()
    for _ in range(args.repeat):
        hello = await _run_hello(args.requests)
        runs.setdefault(hello.name, []).append(hello)
    return runs


def _line(f: Figures) -> str:
    kids = f"  (children {f.children_us:.0f})" if f.children_us >= 0.5 else ""
    return (f"{f.name:<24} {f.cpu_us:8.1f} us CPU/req (loop thread {f.loop_us:6.1f})   "
            f"{f.wall_us:8.1f} us wall/req   n={f.requests}{kids}")  # fmt: skip


def summary(runs: dict[str, list[Figures]]) -> str:
    """Per case: the lowest CPU per request of the runs (the least disturbed) and the median."""
    out = [
        "",
        f"{'case':<24} {'min CPU us/req':>15} {'loop thread':>12} {'median':>8} "
        f"{'wall us/req':>12}  runs (us)",
    ]
    for name, figures in runs.items():
        cpu = sorted(f.cpu_us for f in figures)
        best = min(figures, key=lambda f: f.cpu_us)
        all_runs = ", ".join(f"{f.cpu_us:.0f}" for f in figures)
        out.append(f"{name:<24} {cpu[0]:>15.1f} {best.loop_us:>12.1f} "
                   f"{statistics.median(cpu):>8.1f} {best.wall_us:>12.1f}  {all_runs}")  # fmt: skip
    out.append(
        "CPU = this process (all threads) + child processes; no uvicorn/httptools/socket cost. "
        "loop thread = the event loop's own share of the best run (the rest: other threads, "
        "e.g. the usage flusher, and child processes, i.e. the sandbox workers). The driver "
        "floor is what this loop costs around an empty ASGI app."
    )
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.inproc",
        description="Toolkeep CPU per request, calling the ASGI app in-process (no uvicorn).",
    )
    parser.add_argument(
        "--requests", type=int, default=3000, help="timed requests per case and run (3000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per case, interleaved; min is kept (3)"
    )
    parser.add_argument("--warmup", type=int, default=500, help="untimed requests per case first")
    parser.add_argument(
        "--only", action="append", metavar="PREFIX",
        help="cases whose name starts with PREFIX (tools_list, tools_call/legacy, ...)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", metavar="CASE",
        help="cProfile the timed loop of one case (e.g. tools_list/legacy); CPU then includes "
        "the profiler's overhead",
    )  # fmt: skip
    parser.add_argument("--sort", default="tottime", help="pstats sort key (default tottime)")
    parser.add_argument("--top", type=int, default=30, help="profile rows to print (default 30)")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error("--requests and --repeat >= 1, --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"in-process ASGI: {args.repeat} x {args.requests} requests per case, each after "
          f"{args.warmup} warm-up; Python {sys.version.split()[0]}; "
          f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="toolkeep-inproc-") as tmp:
        runs = asyncio.run(run(args, Path(tmp) / "toolkeep-data"))
    print(summary(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
