"""The table, the ratios and the issue's targets, printed and written as JSON."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.runner import Measurement, ScenarioResult, TargetResult
from bench.targets import TOOL_SCENARIOS

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


def _find(
    results: Sequence[TargetResult], target: str, scenario: str, form: str | None = None
) -> ScenarioResult | None:
    for t in results:
        if t.name == target:
            for s in t.scenarios:
                if s.scenario == scenario and (form is None or s.form == form):
                    return s
    return None


def _why_missing(
    results: Sequence[TargetResult], target: str, scenario: str, form: str | None = None
) -> str:
    t = next((t for t in results if t.name == target), None)
    if t is None:
        return f"{target} not run"
    if t.error:
        return f"{target}: {t.error.splitlines()[0]}"
    s = _find(results, target, scenario, form)
    label = f"{target}/{scenario}" + (f"/{form}" if form else "")
    if s is None:
        return f"{label} not run"
    return f"{label}: {s.error or 'no measurement'}"


def _metric(
    results: Sequence[TargetResult], target: str, scenario: str,
    pick: Callable[[ScenarioResult], float | None], form: str | None = None,
) -> float | None:  # fmt: skip
    s = _find(results, target, scenario, form)
    return pick(s) if s is not None and s.error is None else None


def _rps_n(s: ScenarioResult) -> float | None:
    return s.at_n.rps if s.at_n else None


def _cpu_n(s: ScenarioResult) -> float | None:
    return s.at_n.cpu_us_per_request if s.at_n else None


def _p50_1(s: ScenarioResult) -> float | None:
    return s.at_1.p50_ms if s.at_1 else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


Need = tuple[str, str, str | None]  # (target, scenario, form or None for any)
COMPARED = ("sdk", "fastmcp")
FORM_TITLES = {
    "legacy": "legacy clients (2025-11-25: what Claude Desktop, Cursor, VS Code send today)",
    "modern": "modern clients (2026-07-28 stateless)",
}
FORM_NOTES = {
    "legacy": "sdk/fastmcp: stateless, no session; toolkeep: within one session "
    "(Mcp-Session-Id), opened once before the runs",
    "modern": "every target: stateless, no session",
}
GOAL_FORM = "legacy"  # the form the issue's ">= 8x sdk" goal is evaluated on
GOAL_FORM_WHY = (
    'The ">= 8x sdk" goal is evaluated on the legacy block: it was set from the SDK cost in '
    "DESIGN section 4 (~0.8-1.0 ms CPU per request), which is the SDK's 2025-11-25 stateless "
    "path, and 2025-11-25 is what every desktop client sends today. The modern ratio (the "
    "SDK's 2026-07-28 path is 2-3x cheaper) is shown next to it for information."
)


def _form_ratios(results: Sequence[TargetResult], form: str) -> dict[str, dict[str, Any]]:
    """toolkeep/sdk and toolkeep/fastmcp for req/s and CPU per request, per scenario."""
    out: dict[str, dict[str, Any]] = {}
    for scenario in ("tools_list", "tools_call"):
        tk_rps = _metric(results, "toolkeep", scenario, _rps_n, form)
        tk_cpu = _metric(results, "toolkeep", scenario, _cpu_n, form)
        row: dict[str, Any] = {}
        for other in COMPARED:
            row[f"rps_toolkeep_over_{other}"] = _ratio(
                tk_rps, _metric(results, other, scenario, _rps_n, form)
            )
            row[f"cpu_per_request_toolkeep_over_{other}"] = _ratio(
                tk_cpu, _metric(results, other, scenario, _cpu_n, form)
            )
        out[scenario] = row
    return out


def summarize(results: Sequence[TargetResult]) -> dict[str, Any]:
    forms = [f for f in FORM_TITLES if _find(results, "toolkeep", "tools_list", f) is not None]
    p50 = {f: _metric(results, "toolkeep", "tools_list", _p50_1, f) for f in forms}
    ratios: dict[str, Any] = {f: _form_ratios(results, f) for f in FORM_TITLES}
    ratios["unauthorized_rps_toolkeep_over_hello"] = _ratio(
        _metric(results, "toolkeep", "unauthorized", _rps_n),
        _metric(results, "hello", "unauthorized", _rps_n),
    )
    ratios["unauthorized_cpu_per_request_toolkeep_over_hello"] = _ratio(
        _metric(results, "toolkeep", "unauthorized", _cpu_n),
        _metric(results, "hello", "unauthorized", _cpu_n),
    )
    ratios["toolkeep_tools_list_p50_ms_at_1_connection"] = p50
    checks = [_check_sdk(results, ratios), _check_401(results, ratios), _check_p50(results, p50)]
    return {
        "goal_form": GOAL_FORM,
        "goal_form_why": GOAL_FORM_WHY,
        "ratios": ratios,
        "checks": [asdict(c) | {"verdict": c.verdict} for c in checks],
        "tool_runtime": tool_runtime(results),
    }


# --- Tool runtime (sandbox issue): Toolkeep's JS tools vs FastMCP's in-process Python ------

RUNTIME_PAIR = ("toolkeep", "fastmcp")
RUNTIME_FORMS = ("modern", "legacy")  # the comparison's form: the first both targets ran
RUNTIME_FORM_NOTES = {
    "modern": "2026-07-28 stateless: no session on either side",
    "legacy": "2025-11-25: fastmcp stateless, toolkeep within one session",
}
RUNTIME_TOOLS = {
    "tools_call": "add: trivial JS vs plain Python",
    "tools_call_lodash": "stats: lodash sum/max/sortBy vs plain Python sum/max/sorted",
}
P50_GOAL_MS = 3.0
RPS_GOAL = 1.5
LODASH_NOTE = (
    "A Toolkeep worker pre-loads lodash into its next context only after >= 25 ms idle; under "
    "wrk (back-to-back calls, even at 1 connection) it never idles that long, so every stats "
    "call evaluates lodash on first use of `_`. * paced: calls one at a time, 50 ms apart, "
    "timed by the harness (httpx): the pre-loaded case. Its latency includes the client "
    "(~0.8 ms) and waking an idle server (~1 ms on the empty app): compare the targets and "
    "the two tools with each other, not with the wrk columns. Child procs: Toolkeep's sandbox "
    "workers (respawns included); the rest of the CPU is the server process itself."
)


def _runtime_form(results: Sequence[TargetResult]) -> str | None:
    """Modern if both targets ran tools_call in it (FastMCP serves it stateless), else legacy."""
    for form in RUNTIME_FORMS:
        if all(_find(results, t, "tools_call", form) is not None for t in RUNTIME_PAIR):
            return form
    return None


def _per_request(seconds: float, m: Measurement) -> float | None:
    return seconds / m.requests * 1e6 if m.requests else None


def _side(s: ScenarioResult | None) -> dict[str, Any]:
    """One target's figures for one tool scenario (None where not measured)."""
    ok = s is not None and s.error is None
    n: Measurement | None = s.at_n if ok and s is not None else None
    one: Measurement | None = s.at_1 if ok and s is not None else None
    paced = s.paced if ok and s is not None else None
    return {
        "connections": n.connections if n else None,
        "rps_n": n.rps if n else None,
        "p50_n_ms": n.p50_ms if n else None,
        "p99_n_ms": n.p99_ms if n else None,
        "rps_1": one.rps if one else None,
        "p50_1_ms": one.p50_ms if one else None,
        "p99_1_ms": one.p99_ms if one else None,
        "cpu_us_n": n.cpu_us_per_request if n else None,
        "cpu_us_1": one.cpu_us_per_request if one else None,
        "workers_cpu_us_n": _per_request(n.children_cpu_s, n) if n else None,
        "paced_p50_ms": paced.p50_ms if paced else None,
        "paced_p90_ms": paced.p90_ms if paced else None,
        "paced_bad": paced.bad if paced else None,
    }


def tool_runtime(results: Sequence[TargetResult]) -> dict[str, Any]:
    """The tool runtime block: per tool scenario both sides and the ratios, and the verdicts."""
    form = _runtime_form(results)
    rows: dict[str, Any] = {}
    for scenario in TOOL_SCENARIOS:
        sides = {t: _side(_find(results, t, scenario, form) if form else None)
                 for t in RUNTIME_PAIR}  # fmt: skip
        tk, fm = sides["toolkeep"], sides["fastmcp"]
        rows[scenario] = {
            "tool": RUNTIME_TOOLS[scenario],
            **sides,
            "rps_n_toolkeep_over_fastmcp": _ratio(tk["rps_n"], fm["rps_n"]),
            "rps_1_toolkeep_over_fastmcp": _ratio(tk["rps_1"], fm["rps_1"]),
            "cpu_n_toolkeep_over_fastmcp": _ratio(tk["cpu_us_n"], fm["cpu_us_n"]),
        }
    checks = [_check_js_p50(results, form, rows), _check_js_rps(results, form, rows)]
    return {
        "form": form,
        "form_note": RUNTIME_FORM_NOTES.get(form or "", "no tools_call run on both targets"),
        "scenarios": rows,
        "lodash_note": LODASH_NOTE,
        "checks": [asdict(c) | {"verdict": c.verdict} for c in checks],
    }


def _runtime_needs(form: str | None) -> list[Need]:
    return [(t, "tools_call", form) for t in RUNTIME_PAIR]


def _check_js_p50(results: Sequence[TargetResult], form: str | None, rows: dict[str, Any]) -> Check:
    name, goal = "trivial JS tool p50 @1 connection", f"< {P50_GOAL_MS:g} ms"
    tk, fm = rows["tools_call"]["toolkeep"], rows["tools_call"]["fastmcp"]
    value = tk["p50_1_ms"]
    if value is None:
        return Check(name, goal, "no data", False, _missing(results, _runtime_needs(form)[:1]))
    detail = (
        f"{form} form; toolkeep p99 @1 {_fmt(tk['p99_1_ms'], '.2f')} ms, "
        f"{_fmt(tk['rps_1'], ',.0f')} calls/s at 1 connection; fastmcp p50 @1 "
        f"{_fmt(fm['p50_1_ms'], '.2f')} ms, {_fmt(fm['rps_1'], ',.0f')} calls/s"
    )
    return Check(name, goal, f"{value:.2f} ms", value < P50_GOAL_MS, detail)


def _check_js_rps(results: Sequence[TargetResult], form: str | None, rows: dict[str, Any]) -> Check:
    name, goal = "trivial JS tool req/s under concurrency vs fastmcp", f">= {RPS_GOAL:g}x"
    row = rows["tools_call"]
    tk, fm = row["toolkeep"], row["fastmcp"]
    value = row["rps_n_toolkeep_over_fastmcp"]
    if value is None:
        return Check(name, goal, "no data", False, _missing(results, _runtime_needs(form)))
    same_n = tk["connections"] == fm["connections"]
    detail = (
        f"{form} form, {tk['connections']} connections "
        f"{'each' if same_n else '(fastmcp: ' + str(fm['connections']) + ')'}: toolkeep "
        f"{tk['rps_n']:,.0f} req/s vs fastmcp {fm['rps_n']:,.0f}; CPU/req toolkeep/fastmcp "
        f"{_fmt(row['cpu_n_toolkeep_over_fastmcp'], '.2f')}"
    )
    return Check(name, goal, f"{value:.2f}x", value >= RPS_GOAL and same_n, detail)


def _check_sdk(results: Sequence[TargetResult], ratios: dict[str, Any]) -> Check:
    name, goal = f"tools_list req/s vs sdk ({GOAL_FORM})", ">= 8x"
    value = ratios[GOAL_FORM]["tools_list"]["rps_toolkeep_over_sdk"]
    others = [f for f in FORM_TITLES if f != GOAL_FORM]
    info = "; ".join(
        f"{f} form: {_fmt(ratios[f]['tools_list']['rps_toolkeep_over_sdk'], '.2f')}"
        f"{'x' if ratios[f]['tools_list']['rps_toolkeep_over_sdk'] else ''} (information)"
        for f in others
    )
    cpu = ratios[GOAL_FORM]["tools_list"]["cpu_per_request_toolkeep_over_sdk"]
    if cpu:
        info += f"; {GOAL_FORM} CPU/req sdk/toolkeep = {1 / cpu:.2f}x"
    if value is None:
        needs: list[Need] = [
            ("toolkeep", "tools_list", GOAL_FORM),
            ("sdk", "tools_list", GOAL_FORM),
        ]
        return Check(name, goal, "no data", False, _missing(results, needs) + "; " + info)
    return Check(name, goal, f"{value:.2f}x", value >= 8.0, info)


def _check_401(results: Sequence[TargetResult], ratios: dict[str, Any]) -> Check:
    name, goal = "401 req/s vs hello", ">= 0.8x"
    value = ratios["unauthorized_rps_toolkeep_over_hello"]
    if value is None:
        needs: list[Need] = [("toolkeep", "unauthorized", None), ("hello", "unauthorized", None)]
        return Check(name, goal, "no data", False, _missing(results, needs))
    cpu = ratios["unauthorized_cpu_per_request_toolkeep_over_hello"]
    return Check(name, goal, f"{value:.2f}x", value >= 0.8,
                 f"CPU/req toolkeep/hello = {_fmt(cpu, '.2f')}")  # fmt: skip


def _check_p50(results: Sequence[TargetResult], p50: dict[str, float | None]) -> Check:
    """Every form run must be under 1 ms (a client of either era sees this latency)."""
    name, goal = "tools_list p50 @1 connection", "< 1 ms"
    measured = {f: v for f, v in p50.items() if v is not None}
    missing = [f for f, v in p50.items() if v is None]
    if not measured or missing:
        needs: list[Need] = [("toolkeep", "tools_list", f) for f in missing] or [
            ("toolkeep", "tools_list", None)
        ]
        return Check(name, goal, "no data", False, _missing(results, needs))
    value = ", ".join(f"{f} {v:.2f} ms" for f, v in measured.items())
    return Check(name, goal, value, all(v < 1.0 for v in measured.values()), "every form < 1 ms")


def _missing(results: Sequence[TargetResult], needs: Sequence[Need]) -> str:
    missing = [
        _why_missing(results, t, s, f)
        for t, s, f in needs
        if _metric(results, t, s, _rps_n, f) is None
    ]
    return "; ".join(missing) or "no data"


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


_COLUMNS = (
    ("target", 9), ("scenario", 17), ("form", 6), ("req/s@N", 9), ("p50@N", 7), ("p99@N", 7),
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
    noise: list[tuple[str, float]] = []
    for t in results:
        if t.error:
            errors.append(f"  {t.name}: {t.error}")
        for s in t.scenarios:
            out.append(_row(_cells(s)))
            if s.error:
                errors.append(f"  {s.target}/{s.scenario}/{s.form}: {s.error}")
            noise.extend(_noise(s))
    if errors:
        out += ["", "Errors (no figures for these):", *errors]
    out += _noise_lines(noise)
    r = summary["ratios"]
    for form, title in FORM_TITLES.items():
        out += ["", title, f"  ({FORM_NOTES[form]})", _ratio_header()]
        for scenario in ("tools_list", "tools_call"):
            row = r[form][scenario]
            out.append(
                _ratio_line(
                    f"{scenario} req/s", [row[f"rps_toolkeep_over_{o}"] for o in COMPARED], ".2f"
                )
            )
            out.append(_ratio_line(f"{scenario} CPU/req", [row[f"cpu_per_request_toolkeep_over_{o}"]
                                                           for o in COMPARED], ".3f")
                       + "  (lower is better)")  # fmt: skip
    p50 = r["toolkeep_tools_list_p50_ms_at_1_connection"]
    out += [
        "",
        "Other",
        "  401 req/s        toolkeep/hello = "
        f"{_fmt(r['unauthorized_rps_toolkeep_over_hello'], '.2f')}"
        f"   (CPU/req toolkeep/hello = "
        f"{_fmt(r['unauthorized_cpu_per_request_toolkeep_over_hello'], '.2f')})",
        "  toolkeep tools_list p50 @1 connection: "
        + (", ".join(f"{f} {_fmt(v, '.3f')} ms" for f, v in p50.items()) or "-"),
        "",
        "Targets (issue)",
        *("  " + line for line in _wrap(summary["goal_form_why"], 96)),
    ]
    for c in summary["checks"]:
        out.append(f"  {c['verdict']:<4}  {c['name']:<32} {c['goal']:<7} got {c['value']}")
        if c["detail"]:
            out.append(f"{'':<8}{c['detail']}")
    out += render_tool_runtime(summary["tool_runtime"])
    return "\n".join(out)


def render_tool_runtime(block: dict[str, Any]) -> list[str]:
    """The "tool runtime (sandbox issue)" block: Toolkeep vs FastMCP, side by side."""
    rows = block["scenarios"]
    n = next((r[t]["connections"] for r in rows.values() for t in RUNTIME_PAIR
              if r[t]["connections"]), None)  # fmt: skip
    out = [
        "",
        "Tool runtime (sandbox issue): Toolkeep JS tools in the worker pool vs FastMCP "
        "plain in-process Python",
        f"  form: {block['form'] or '-'} ({block['form_note']}); "
        f"N = {n or '-'} connections on both",
        f"  {'':<26}{'toolkeep':>17}{'fastmcp':>17}{'toolkeep/fastmcp':>18}",
    ]
    lines = (
        ("req/s @N", "rps_n", ",.0f", "rps_n_toolkeep_over_fastmcp"),
        ("p50 / p99 @N ms", ("p50_n_ms", "p99_n_ms"), ".2f", None),
        ("req/s @1", "rps_1", ",.0f", "rps_1_toolkeep_over_fastmcp"),
        ("p50 / p99 @1 ms", ("p50_1_ms", "p99_1_ms"), ".2f", None),
        ("CPU us/req @N", "cpu_us_n", ".0f", "cpu_n_toolkeep_over_fastmcp"),
        ("  of which child procs", "workers_cpu_us_n", ".0f", None),
        ("CPU us/req @1", "cpu_us_1", ".0f", None),
        ("paced p50 / p90 ms *", ("paced_p50_ms", "paced_p90_ms"), ".2f", None),
    )
    for scenario, row in rows.items():
        out.append(f"  {scenario} ({row['tool']})".rstrip())
        for label, key, spec, ratio in lines:
            cells = [_pair(row[t], key, spec) for t in RUNTIME_PAIR]
            tail = _fmt(row[ratio], ".2f") if ratio else ""
            line = f"    {label:<24}" + "".join(f"{c:>17}" for c in cells) + f"{tail:>18}"
            out.append(line.rstrip())
    out += ["", *("  " + line for line in _wrap(block["lodash_note"], 96))]
    for c in block["checks"]:
        out.append(f"  {c['verdict']:<4}  {c['name']:<50} {c['goal']:<7} got {c['value']}")
        if c["detail"]:
            out.append(f"{'':<8}{c['detail']}")
    return out


def _pair(side: dict[str, Any], key: str | tuple[str, str], spec: str) -> str:
    if isinstance(key, str):
        return _fmt(side[key], spec)
    return " / ".join(_fmt(side[k], spec) for k in key)


def _ratio_header() -> str:
    return f"  {'':<20}" + "".join(f"{'toolkeep/' + o:>20}" for o in COMPARED)


def _ratio_line(label: str, values: Sequence[float | None], spec: str) -> str:
    return f"  {label:<20}" + "".join(f"{_fmt(v, spec):>20}" for v in values)


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _noise(s: ScenarioResult) -> list[tuple[str, float]]:
    """(where, cores used by other processes) for each kept measurement of ``s``."""
    out = []
    for m in (s.at_n, s.at_1):
        if m is not None and m.duration_s:
            out.append((f"{s.target}/{s.scenario}/{s.form} c={m.connections}",
                        m.other_cpu_s / m.duration_s))  # fmt: skip
    return out


def _noise_lines(noise: list[tuple[str, float]]) -> list[str]:
    """One summary line; the runs by name only when few of them were disturbed."""
    noisy = [(where, cores) for where, cores in noise if cores > NOISE_CORES]
    if not noisy:
        return []
    cores = sorted(c for _, c in noise)
    head = (
        f"Noise: other processes used > {NOISE_CORES} cores during {len(noisy)} of {len(noise)} "
        f"kept runs (all runs: {cores[0]:.2f}-{cores[-1]:.2f} cores, median "
        f"{statistics.median(cores):.2f}); req/s is depressed and CPU/req inflated accordingly"
    )
    if len(noisy) > 8:
        return ["", head + " (per run: the log lines and the JSON)"]
    return ["", head + ":", *(f"  {where}: {c:.2f} cores" for where, c in noisy)]


def write_json(
    path: Path, meta: dict[str, Any], results: Sequence[TargetResult], summary: dict[str, Any]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"meta": meta, "targets": [asdict(t) for t in results], "summary": summary}
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
