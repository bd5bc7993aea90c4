"""Run every scenario of one target: probe, verify, warm up, measure at N and at 1 connection."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from bench import procstat, scenarios
from bench.scenarios import ProbeResult, Scenario
from bench.server import RunningServer, ServerStartError, run_server
from bench.targets import Form, Target
from bench.wrk import WrkError, WrkResult, run_wrk

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Options:
    duration_s: float
    connections: int
    warmup_s: float
    threads: int
    scenarios: tuple[str, ...]  # run those of them each target supports
    form: str  # "auto" (first form the probe accepts), "modern" or "legacy"
    repeat: int = 1  # measured runs per point; the one with the highest req/s is kept


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
    rps_runs: tuple[float, ...] = ()  # req/s of every repeat (this one is the best)


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


@dataclass(slots=True)
class TargetResult:
    name: str
    description: str
    mcp_path: str = ""
    error: str | None = None
    probes: list[ProbeResult] = field(default_factory=list)
    scenarios: list[ScenarioResult] = field(default_factory=list)


def run_target(target: Target, opts: Options, workdir: Path, log: Log) -> TargetResult:
    result = TargetResult(target.name, target.description)
    try:
        prepared = target.prepare(workdir)
    except Exception as exc:  # a report, not a crash: the target is marked failed
        result.error = f"preparation failed: {exc!r}"
        log(f"[{target.name}] {result.error}")
        return result
    result.mcp_path = prepared.mcp_path
    started = time.monotonic()
    try:
        with run_server(
            target.app_args,
            env=prepared.env,
            ready_path=target.ready_path,
            log_file=workdir / f"{target.name}.log",
        ) as server:
            log(f"[{target.name}] ready on :{server.port} (pid {server.pid}) after "
                f"{time.monotonic() - started:.2f}s")  # fmt: skip
            _run_scenarios(target, prepared.key, server, prepared.mcp_path, opts, workdir,
                           result, log)  # fmt: skip
    except ServerStartError as exc:
        result.error = f"server did not start: {exc}"
        log(f"[{target.name}] {result.error}")
    return result


def _run_scenarios(
    target: Target,
    key: str | None,
    server: RunningServer,
    mcp_path: str,
    opts: Options,
    workdir: Path,
    result: TargetResult,
    log: Log,
) -> None:
    url = server.base_url + mcp_path
    with httpx.Client(timeout=10.0) as client:
        form = _choose_form(client, url, key, target, opts.form, result, log)
        names = [s for s in opts.scenarios if s in target.scenarios]
        for name in names:
            scenario = scenarios.build(name, form, key, auth_enforced=not target.floor)
            outcome = ScenarioResult(target.name, name, scenario.form, scenario.expected_status)
            result.scenarios.append(outcome)
            _run_scenario(client, url, server, scenario, opts, workdir, outcome, target.floor, log)


def _choose_form(
    client: httpx.Client,
    url: str,
    key: str | None,
    target: Target,
    wanted: str,
    result: TargetResult,
    log: Log,
) -> Form:
    """Probe tools/list in each candidate form, print the answers, pick the first that works."""
    forms = target.tools_list_forms
    if wanted != "auto" and wanted in forms:
        forms = tuple(f for f in forms if f == wanted)
    if target.floor:
        return forms[0]
    result.probes = scenarios.probe_tools_list(client, url, key, forms)
    for probe in result.probes:
        log(f"[{target.name}] probe tools/list {probe.describe()}")
    working = [p.form for p in result.probes if p.ok]
    form = working[0] if working else forms[0]
    log(f"[{target.name}] tools/list form used: {form}"
        + ("" if working else " (no form worked; the scenarios will report errors)"))  # fmt: skip
    return form


def _run_scenario(
    client: httpx.Client,
    url: str,
    server: RunningServer,
    scenario: Scenario,
    opts: Options,
    workdir: Path,
    outcome: ScenarioResult,
    floor: bool,
    log: Log,
) -> None:
    tag = f"[{outcome.target}/{scenario.name}]"
    try:
        response = scenarios.send(client, url, scenario.request)
    except httpx.HTTPError as exc:
        outcome.error = f"verification request failed: {exc!r}"
        log(f"{tag} {outcome.error}")
        return
    outcome.verify_status = response.status_code
    problem = scenarios.check_answer(scenario, response, floor=floor)
    if problem is not None:
        outcome.error = problem
        log(f"{tag} SKIPPED: {outcome.error}")
        return
    body_file = workdir / f"{outcome.target}-{scenario.name}.body"
    body_file.write_bytes(scenario.request.body)
    try:
        if opts.warmup_s > 0:
            _drive(url, body_file, scenario, server, opts.connections, opts.warmup_s, opts)
        outcome.at_n = _best_of(url, body_file, scenario, server, opts.connections, opts, log, tag)
        outcome.at_1 = _best_of(url, body_file, scenario, server, 1, opts, log, tag)
    except (WrkError, ServerDied) as exc:
        outcome.error = str(exc)
        log(f"{tag} ERROR: {outcome.error}")


class ServerDied(RuntimeError):
    pass


def _best_of(
    url: str,
    body_file: Path,
    scenario: Scenario,
    server: RunningServer,
    connections: int,
    opts: Options,
    log: Log,
    tag: str,
) -> Measurement:
    """Measure ``opts.repeat`` times and keep the run with the highest req/s (least disturbed)."""
    runs = []
    for i in range(opts.repeat):
        run = _drive(url, body_file, scenario, server, connections, opts.duration_s, opts)
        suffix = f" [run {i + 1}/{opts.repeat}]" if opts.repeat > 1 else ""
        log(f"{tag} {_line(run)}{suffix}")
        runs.append(run)
    best = max(runs, key=lambda m: m.rps)
    return replace(best, rps_runs=tuple(m.rps for m in runs))


def _drive(
    url: str,
    body_file: Path,
    scenario: Scenario,
    server: RunningServer,
    connections: int,
    duration_s: float,
    opts: Options,
) -> Measurement:
    cpu_before = procstat.tree_cpu_seconds(server.pid)
    busy_before = procstat.machine_busy_seconds()
    run = run_wrk(
        url,
        body_file=body_file,
        headers=scenario.request.headers,
        connections=connections,
        duration_s=duration_s,
        threads=opts.threads,
    )
    busy = procstat.machine_busy_seconds() - busy_before
    server_cpu = procstat.tree_cpu_seconds(server.pid) - cpu_before
    if not procstat.alive(server.pid):
        raise ServerDied(f"the server process {server.pid} died during the run")
    return _measurement(run, scenario.expected_status, server_cpu, busy)


def _measurement(run: WrkResult, expected: int, server_cpu: float, busy: float) -> Measurement:
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
