"""The table, the ratios and the issue's targets, printed and written as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.runner import ScenarioResult, TargetResult

NOISE_CORES = 0.25  # other processes using more than this during a run make figures suspect


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    goal: str
    value: str
    passed: bool
    detail: str = ""

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"


def _find(results: Sequence[TargetResult], target: str, scenario: str) -> ScenarioResult | None:
    for t in results:
        if t.name == target:
            for s in t.scenarios:
                if s.scenario == scenario:
                    return s
    return None


def _why_missing(results: Sequence[TargetResult], target: str, scenario: str) -> str:
    t = next((t for t in results if t.name == target), None)
    if t is None:
        return f"{target} not run"
    if t.error:
        return f"{target}: {t.error.splitlines()[0]}"
    s = _find(results, target, scenario)
    if s is None:
        return f"{target}/{scenario} not run"
    return f"{target}/{scenario}: {s.error or 'no measurement'}"


def _metric(
    results: Sequence[TargetResult], target: str, scenario: str,
    pick: Callable[[ScenarioResult], float | None],
) -> float | None:  # fmt: skip
    s = _find(results, target, scenario)
    return pick(s) if s is not None and s.error is None else None


def _rps_n(s: ScenarioResult) -> float | None:
    return s.at_n.rps if s.at_n else None


def _cpu_n(s: ScenarioResult) -> float | None:
    return s.at_n.cpu_us_per_request if s.at_n else None


def _p50_1(s: ScenarioResult) -> float | None:
    return s.at_1.p50_ms if s.at_1 else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def summarize(results: Sequence[TargetResult]) -> dict[str, Any]:
    tk_rps = _metric(results, "toolkeep", "tools_list", _rps_n)
    tk_cpu = _metric(results, "toolkeep", "tools_list", _cpu_n)
    tk_401 = _metric(results, "toolkeep", "unauthorized", _rps_n)
    tk_p50 = _metric(results, "toolkeep", "tools_list", _p50_1)
    sdk_rps = _metric(results, "sdk", "tools_list", _rps_n)
    fm_rps = _metric(results, "fastmcp", "tools_list", _rps_n)
    hello_rps = _metric(results, "hello", "unauthorized", _rps_n)
    ratios = {
        "tools_list_rps_toolkeep_over_sdk": _ratio(tk_rps, sdk_rps),
        "tools_list_rps_toolkeep_over_fastmcp": _ratio(tk_rps, fm_rps),
        "tools_list_cpu_per_request_toolkeep_over_sdk": _ratio(
            tk_cpu, _metric(results, "sdk", "tools_list", _cpu_n)
        ),
        "tools_list_cpu_per_request_toolkeep_over_fastmcp": _ratio(
            tk_cpu, _metric(results, "fastmcp", "tools_list", _cpu_n)
        ),
        "unauthorized_rps_toolkeep_over_hello": _ratio(tk_401, hello_rps),
        "unauthorized_cpu_per_request_toolkeep_over_hello": _ratio(
            _metric(results, "toolkeep", "unauthorized", _cpu_n),
            _metric(results, "hello", "unauthorized", _cpu_n),
        ),
        "tools_list_rps_sdk_over_fastmcp": _ratio(sdk_rps, fm_rps),
        "toolkeep_tools_list_p50_ms_at_1_connection": tk_p50,
    }
    tl, un = "tools_list", "unauthorized"
    checks = [
        _check("tools_list throughput vs sdk", ">= 8x", ratios["tools_list_rps_toolkeep_over_sdk"],
               lambda r: r >= 8.0, "x", results, [("toolkeep", tl), ("sdk", tl)]),
        _check("401 throughput vs hello", ">= 0.8x", ratios["unauthorized_rps_toolkeep_over_hello"],
               lambda r: r >= 0.8, "x", results, [("toolkeep", un), ("hello", un)]),
        _check("tools_list p50 at 1 connection", "< 1 ms", tk_p50, lambda v: v < 1.0, " ms",
               results, [("toolkeep", tl)]),
    ]  # fmt: skip
    return {"ratios": ratios, "checks": [asdict(c) | {"verdict": c.verdict} for c in checks]}


def _check(
    name: str, goal: str, value: float | None, ok: Callable[[float], bool], unit: str,
    results: Sequence[TargetResult], needs: list[tuple[str, str]],
) -> Check:  # fmt: skip
    if value is None:
        missing = [
            _why_missing(results, t, s) for t, s in needs if _metric(results, t, s, _rps_n) is None
        ]
        return Check(name, goal, "no data", False, "; ".join(missing) or "no data")
    return Check(name, goal, f"{value:.2f}{unit}", ok(value))


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


_COLUMNS = (
    ("target", 9), ("scenario", 12), ("form", 6), ("req/s@N", 9), ("p50@N", 7), ("p99@N", 7),
    ("req/s@1", 8), ("p50@1", 6), ("p99@1", 6), ("CPUus/req@N", 11), ("CPUus/req@1", 11),
    ("bad", 5),
)  # fmt: skip


def _row(values: Sequence[str]) -> str:
    cells = zip(values, _COLUMNS, strict=True)
    return "  ".join(v.rjust(w) if i > 2 else v.ljust(w) for i, (v, (_, w)) in enumerate(cells))


def _cells(s: ScenarioResult) -> list[str]:
    n, one = s.at_n, s.at_1
    bad = (n.unexpected if n else 0) + (one.unexpected if one else 0)
    return [
        s.target,
        s.scenario,
        s.form,
        _fmt(n.rps if n else None, ",.0f"),
        _fmt(n.p50_ms if n else None, ".2f"),
        _fmt(n.p99_ms if n else None, ".2f"),
        _fmt(one.rps if one else None, ",.0f"),
        _fmt(one.p50_ms if one else None, ".2f"),
        _fmt(one.p99_ms if one else None, ".2f"),
        _fmt(n.cpu_us_per_request if n else None, ".0f"),
        _fmt(one.cpu_us_per_request if one else None, ".0f"),
        str(bad),
    ]


def render(results: Sequence[TargetResult], summary: dict[str, Any], connections: int) -> str:
    out = [f"\nResults (N = {connections} connections; latency in ms; CPU = server user+sys)"]
    out.append(_row([name for name, _ in _COLUMNS]))
    errors: list[str] = []
    noisy: list[str] = []
    for t in results:
        if t.error:
            errors.append(f"  {t.name}: {t.error}")
        for s in t.scenarios:
            out.append(_row(_cells(s)))
            if s.error:
                errors.append(f"  {s.target}/{s.scenario}: {s.error}")
            noisy.extend(_noise(s))
    if errors:
        out += ["", "Errors (no figures for these):", *errors]
    if noisy:
        out += ["", f"Noise: other processes used > {NOISE_CORES} cores during:", *noisy]
    r = summary["ratios"]
    out += [
        "",
        "Ratios",
        f"  tools_list req/s    toolkeep/sdk = {_fmt(r['tools_list_rps_toolkeep_over_sdk'], '.2f')}"
        f"   toolkeep/fastmcp = {_fmt(r['tools_list_rps_toolkeep_over_fastmcp'], '.2f')}",
        f"  tools_list CPU/req  toolkeep/sdk = "
        f"{_fmt(r['tools_list_cpu_per_request_toolkeep_over_sdk'], '.3f')}"
        f"   toolkeep/fastmcp = "
        f"{_fmt(r['tools_list_cpu_per_request_toolkeep_over_fastmcp'], '.3f')}  (lower is better)",
        f"  401 req/s           toolkeep/hello = "
        f"{_fmt(r['unauthorized_rps_toolkeep_over_hello'], '.2f')}"
        f"   (CPU/req toolkeep/hello = "
        f"{_fmt(r['unauthorized_cpu_per_request_toolkeep_over_hello'], '.2f')})",
        f"  tools_list req/s    sdk/fastmcp = {_fmt(r['tools_list_rps_sdk_over_fastmcp'], '.2f')}",
        f"  toolkeep tools_list p50 @1 connection = "
        f"{_fmt(r['toolkeep_tools_list_p50_ms_at_1_connection'], '.3f')} ms",
        "",
        "Targets (issue)",
    ]
    for c in summary["checks"]:
        detail = f"  [{c['detail']}]" if c["detail"] else ""
        out.append(f"  {c['verdict']:<4}  {c['name']:<32} {c['goal']:<7} got {c['value']}{detail}")
    return "\n".join(out)


def _noise(s: ScenarioResult) -> list[str]:
    lines = []
    for m in (s.at_n, s.at_1):
        if m is not None and m.duration_s and m.other_cpu_s / m.duration_s > NOISE_CORES:
            cores = m.other_cpu_s / m.duration_s
            lines.append(f"  {s.target}/{s.scenario} c={m.connections}: {cores:.2f} cores")
    return lines


def write_json(
    path: Path, meta: dict[str, Any], results: Sequence[TargetResult], summary: dict[str, Any]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"meta": meta, "targets": [asdict(t) for t in results], "summary": summary}
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
