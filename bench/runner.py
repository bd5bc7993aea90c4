"""Start the targets, probe and verify each scenario, then measure each at N and 1 connection.

The tool-call scenarios of the first form run are also measured *paced*: calls one at a time,
each ``PACED_GAP_S`` after the previous answer, timed by the harness (httpx). A Toolkeep
worker idle that long has lodash pre-loaded into its next context, which back-to-back load
(wrk, at any connection count) never lets it do.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from bench import procstat, scenarios
from bench.scenarios import ProbeResult, Scenario
from bench.server import RunningServer, ServerStartError, run_server
from bench.targets import ALL_SCENARIOS, FORM_SCENARIOS, FORMS, TOOL_SCENARIOS, Form, Target
from bench.wrk import WrkError, WrkResult, run_wrk

Log = Callable[[str], None]

PACED_GAP_S = 0.05  # twice the Toolkeep worker's 25 ms idle threshold for pre-loading lodash


@dataclass(frozen=True, slots=True)
class Options:
    duration_s: float
    connections: int
    warmup_s: float
    threads: int
    scenarios: tuple[str, ...]  # run those of them each target supports
    forms: tuple[Form, ...] = FORMS  # the forms of the per-form scenarios (tools_list, tools_call)
    repeat: int = 1  # measured passes over all points; per point the highest req/s is kept
    paced: int = 40  # paced calls per tool-call point of the first form (0: none)
    http: str = "toolkeep"  # the HTTP layer of every target (bench.server.HTTP_LAYERS)


@dataclass(frozen=True, slots=True)
class Measurement:
    connections: int
    requests: int
    duration_s: float
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    latency_ms: dict[str, float]
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    unexpected: int
    server_cpu_s: float
    cpu_us_per_request: float | None
    wrk_cpu_s: float
    other_cpu_s: float  # machine busy time used by neither the server nor wrk (noise)
    children_cpu_s: float = 0.0  # of server_cpu_s: its child processes (Toolkeep's sandbox)
    rps_runs: tuple[float, ...] = ()  # req/s of every pass (this one is the best)
    cpu_runs: tuple[float | None, ...] = ()  # CPU us per request of every pass


@dataclass(frozen=True, slots=True)
class Paced:
    """Calls sent one at a time, each ``gap_ms`` after the previous answer (client-timed)."""

    calls: int
    gap_ms: float
    p50_ms: float
    p90_ms: float
    max_ms: float
    bad: int  # answers that failed the scenario's check (status, result)


@dataclass(slots=True)
class ScenarioResult:
    target: str
    scenario: str
    form: str
    expected_status: int
    verify_status: int | None = None
    error: str | None = None
    at_n: Measurement | None = None
    at_1: Measurement | None = None
    paced: Paced | None = None


@dataclass(slots=True)
class TargetResult:
    name: str
    description: str
    mcp_path: str = ""
    error: str | None = None
    probes: list[ProbeResult] = field(default_factory=list)
    scenarios: list[ScenarioResult] = field(default_factory=list)


@dataclass(slots=True)
class Point:
    """One scenario of one running target, verified and ready to measure."""

    url: str
    server: RunningServer
    scenario: Scenario
    outcome: ScenarioResult
    body_file: Path
    runs_n: list[Measurement] = field(default_factory=list)
    runs_1: list[Measurement] = field(default_factory=list)


def run_all(targets: list[Target], opts: Options, workdir: Path, log: Log) -> list[TargetResult]:
    """Start every target, verify every point, then measure them in interleaved passes.

    All servers stay up for the whole run (an idle server costs nothing), so the points can be
    measured in an order that puts the compared ones side by side (tools_list/legacy on sdk,
    fastmcp, toolkeep; then the next scenario...), and each ``--repeat`` is a whole pass. A
    burst of load from other processes then hits the compared targets alike instead of one of
    them, and the best of K passes is kept per point.
    """
    results: list[TargetResult] = []
    points: list[Point] = []
    with ExitStack() as stack:
        for target in targets:
            result = TargetResult(target.name, target.description)
            results.append(result)
            target_dir = workdir / target.name
            target_dir.mkdir(parents=True, exist_ok=True)
            started = _start(stack, target, target_dir, result, log, opts.http)
            if started is not None:
                server, key = started
                points += _setup_points(target, server, key, opts, target_dir, result, log)
        points.sort(key=lambda p: _order(p, targets))
        for i in range(opts.repeat):
            if opts.repeat > 1:
                log(f"-- pass {i + 1}/{opts.repeat}")
            for point in points:
                if point.outcome.error is None:
                    _measure_point(point, opts, first_pass=i == 0, log=log)
    for point in points:
        if point.runs_n and point.runs_1 and point.outcome.error is None:
            point.outcome.at_n = _best(point.runs_n)
            point.outcome.at_1 = _best(point.runs_1)
    return results


def _start(
    stack: ExitStack, target: Target, workdir: Path, result: TargetResult, log: Log, http: str
) -> tuple[RunningServer, str | None] | None:
    """Prepare and start ``target``; return the server and its API key (None on failure)."""
    try:
        prepared = target.prepare(workdir)
    except Exception as exc:  # a report, not a crash: the target is marked failed
        result.error = f"preparation failed: {exc!r}"
        log(f"[{target.name}] {result.error}")
        return None
    result.mcp_path = prepared.mcp_path
    started = time.monotonic()
    try:
        server = stack.enter_context(
            run_server(
                target.app_args,
                env=prepared.env,
                ready_path=target.ready_path,
                log_file=workdir / f"{target.name}.log",
                http=http,
            )
        )
    except ServerStartError as exc:
        result.error = f"server did not start: {exc}"
        log(f"[{target.name}] {result.error}")
        return None
    log(f"[{target.name}] ready on :{server.port} (pid {server.pid}) after "
        f"{time.monotonic() - started:.2f}s")  # fmt: skip
    return server, prepared.key


def _order(point: Point, targets: list[Target]) -> tuple[int, int, int]:
    """Scenario, then form (legacy first: the goal's form), then target, as in ``targets``."""
    o = point.outcome
    names = [t.name for t in targets]
    return (ALL_SCENARIOS.index(o.scenario), -FORMS.index(o.form), names.index(o.target))


def _setup_points(
    target: Target,
    server: RunningServer,
    key: str | None,
    opts: Options,
    workdir: Path,
    result: TargetResult,
    log: Log,
) -> list[Point]:
    """Open the legacy session if the target needs one, probe, and verify every scenario."""
    url = server.base_url + result.mcp_path
    forms = tuple(f for f in opts.forms if f in target.forms)
    points: list[Point] = []
    with httpx.Client(timeout=10.0) as client:
        sessions, session_errors = _open_sessions(client, url, key, target, forms, log)
        if not target.floor:
            result.probes = scenarios.probe_tools_list(client, url, key, forms, sessions)
            for probe in result.probes:
                log(f"[{target.name}] probe tools/list {probe.describe()}")
        for name in (s for s in opts.scenarios if s in target.scenarios):
            # unauthorized and initialize have one fixed form each (see scenarios.build)
            for form in forms if name in FORM_SCENARIOS else FORMS[:1]:
                scenario = scenarios.build(name, form, key, auth_enforced=not target.floor,
                                           session=sessions.get(form))  # fmt: skip
                outcome = ScenarioResult(target.name, name, scenario.form, scenario.expected_status)
                result.scenarios.append(outcome)
                if name in FORM_SCENARIOS and form in session_errors:
                    outcome.error = session_errors[form]
                else:
                    _verify(client, url, scenario, outcome, target.floor)
                if outcome.error is not None:
                    log(f"[{target.name}/{name}/{scenario.form}] SKIPPED: {outcome.error}")
                    continue
                body_file = workdir / f"{name}-{scenario.form}.body"
                body_file.write_bytes(scenario.request.body)
                points.append(Point(url, server, scenario, outcome, body_file))
    return points


def _verify(
    client: httpx.Client, url: str, scenario: Scenario, outcome: ScenarioResult, floor: bool
) -> None:
    """One request with httpx first: the status and, for a 200, the JSON-RPC result."""
    try:
        response = scenarios.send(client, url, scenario.request)
    except httpx.HTTPError as exc:
        outcome.error = f"verification request failed: {exc!r}"
        return
    outcome.verify_status = response.status_code
    outcome.error = scenarios.check_answer(scenario, response, floor=floor)


def _open_sessions(
    client: httpx.Client,
    url: str,
    key: str | None,
    target: Target,
    forms: tuple[Form, ...],
    log: Log,
) -> tuple[dict[Form, str], dict[Form, str]]:
    """For a session-era target, the one legacy session every legacy request then carries.

    Returns (session id per form, error per form). A real 2025-11-25 client does this once per
    connection; the handshake is setup, not measured (the ``initialize`` scenario measures it).
    """
    if not target.legacy_session or "legacy" not in forms:
        return {}, {}
    try:
        session = scenarios.open_session(client, url, key)
    except (scenarios.SessionError, httpx.HTTPError) as exc:
        log(f"[{target.name}] legacy session: FAILED: {exc}")
        return {}, {"legacy": f"legacy session setup failed: {exc}"}
    log(
        f"[{target.name}] legacy session {session[:12]}... (initialize + notifications/initialized)"
    )
    return {"legacy": session}, {}


def _measure_point(point: Point, opts: Options, *, first_pass: bool, log: Log) -> None:
    o = point.outcome
    tag = f"[{o.target}/{o.scenario}/{o.form}]"
    pass_no = len(point.runs_n) + 1
    suffix = f" [pass {pass_no}/{opts.repeat}]" if opts.repeat > 1 else ""
    try:
        if first_pass and opts.warmup_s > 0:
            _drive(point, opts.connections, opts.warmup_s, opts)
        for connections, runs in ((opts.connections, point.runs_n), (1, point.runs_1)):
            run = _drive(point, connections, opts.duration_s, opts)
            log(f"{tag} {_line(run)}{suffix}")
            runs.append(run)
        if first_pass and opts.paced and o.scenario in TOOL_SCENARIOS and o.form == opts.forms[0]:
            o.paced = _paced(point, opts.paced)
            log(f"{tag} {_paced_line(o.paced)}")
    except (WrkError, ServerDied, httpx.HTTPError) as exc:
        o.error = str(exc) or repr(exc)
        log(f"{tag} ERROR: {o.error}")


class ServerDied(RuntimeError):
    pass


def _best(runs: list[Measurement]) -> Measurement:
    """The run with the highest req/s (the least disturbed), with every run's figures."""
    best = max(runs, key=lambda m: m.rps)
    return replace(
        best,
        rps_runs=tuple(m.rps for m in runs),
        cpu_runs=tuple(m.cpu_us_per_request for m in runs),
    )


def _drive(point: Point, connections: int, duration_s: float, opts: Options) -> Measurement:
    server, scenario = point.server, point.scenario
    cpu_before = procstat.tree_cpu_seconds(server.pid)
    kids_before = procstat.tree_cpu_seconds(server.pid, include_self=False)
    busy_before = procstat.machine_busy_seconds()
    run = run_wrk(
        point.url,
        body_file=point.body_file,
        headers=scenario.request.headers,
        connections=connections,
        duration_s=duration_s,
        threads=opts.threads,
    )
    busy = procstat.machine_busy_seconds() - busy_before
    server_cpu = procstat.tree_cpu_seconds(server.pid) - cpu_before
    kids = procstat.tree_cpu_seconds(server.pid, include_self=False) - kids_before
    if not procstat.alive(server.pid):
        raise ServerDied(f"the server process {server.pid} died during the run")
    return _measurement(run, scenario.expected_status, server_cpu, busy, kids)


def _paced(point: Point, calls: int) -> Paced:
    """``calls`` requests one at a time, ``PACED_GAP_S`` apart; each answer is checked."""
    latencies: list[float] = []
    bad = 0
    request = point.scenario.request
    with httpx.Client(timeout=10.0) as client:
        scenarios.send(client, point.url, request)  # opens the connection, not timed
        for _ in range(calls):
            time.sleep(PACED_GAP_S)  # the pacing itself: idle time the server is meant to see
            started = time.perf_counter()
            response = scenarios.send(client, point.url, request)
            latencies.append((time.perf_counter() - started) * 1e3)
            bad += scenarios.check_answer(point.scenario, response, floor=False) is not None
    if not procstat.alive(point.server.pid):
        raise ServerDied(f"the server process {point.server.pid} died during the paced calls")
    deciles = statistics.quantiles(latencies, n=10, method="inclusive")
    return Paced(calls=calls, gap_ms=PACED_GAP_S * 1e3, p50_ms=statistics.median(latencies),
                 p90_ms=deciles[8], max_ms=max(latencies), bad=bad)  # fmt: skip


def _paced_line(p: Paced) -> str:
    bad = f", {p.bad} UNEXPECTED" if p.bad else ""
    return (f"paced ({p.calls} calls, {p.gap_ms:.0f} ms apart, httpx-timed): p50 {p.p50_ms:.2f} "
            f"ms, p90 {p.p90_ms:.2f} ms, max {p.max_ms:.2f} ms{bad}")  # fmt: skip


def _measurement(
    run: WrkResult, expected: int, server_cpu: float, busy: float, children_cpu: float = 0.0
) -> Measurement:
    return Measurement(
        connections=run.connections,
        requests=run.requests,
        duration_s=run.duration_s,
        rps=run.rps,
        p50_ms=run.p50_ms,
        p99_ms=run.p99_ms,
        latency_ms=run.latency_ms,
        statuses=run.statuses,
        socket_errors=run.socket_errors,
        unexpected=run.unexpected(expected),
        server_cpu_s=server_cpu,
        cpu_us_per_request=server_cpu / run.requests * 1e6 if run.requests else None,
        wrk_cpu_s=run.wrk_cpu_s,
        other_cpu_s=max(0.0, busy - server_cpu - run.wrk_cpu_s),
        children_cpu_s=children_cpu,
    )


def _line(m: Measurement) -> str:
    cpu = f"{m.cpu_us_per_request:.0f} us CPU/req" if m.cpu_us_per_request else "CPU n/a"
    p50 = f"{m.p50_ms:.2f}" if m.p50_ms is not None else "?"
    p99 = f"{m.p99_ms:.2f}" if m.p99_ms is not None else "?"
    bad = f", {m.unexpected} UNEXPECTED" if m.unexpected else ""
    return (
        f"c={m.connections}: {m.rps:,.0f} req/s, p50 {p50} ms, p99 {p99} ms, {cpu}"
        f" (other load {m.other_cpu_s / m.duration_s:.2f} cores){bad}"
    )
