"""``python -m bench``: start each target, drive it with wrk, print and save the figures.

.venv/bin/python -m bench [--duration 10] [--connections 32] [--only NAME] [--scenario NAME]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import report
from bench.runner import Options, TargetResult, run_target
from bench.targets import ALL_SCENARIOS, DEFAULT_SCENARIOS, TARGETS
from bench.wrk import WrkError, wrk_version

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _csv(values: list[str] | None, allowed: tuple[str, ...], what: str) -> tuple[str, ...] | None:
    if not values:
        return None
    names = tuple(n.strip() for v in values for n in v.split(",") if n.strip())
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (choose from {', '.join(allowed)})")
    return names


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark Toolkeep against the MCP SDK, FastMCP and an empty ASGI app.",
    )
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds of each measured wrk run (default 10)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="connections for the throughput runs (default 32)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="seconds of unmeasured load before each scenario (default 2; 0 = none)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="wrk threads (default 1: leaves the other core to the server)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measured runs per point, keeping the fastest (for a busy machine; default 1)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"targets to run, repeatable or comma-separated: {', '.join(TARGETS)}",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help=f"scenarios to run (default: {', '.join(DEFAULT_SCENARIOS)}; also: tools_call)",
    )
    parser.add_argument(
        "--form",
        choices=("auto", "modern", "legacy"),
        default="auto",
        help="stateless request form for sdk/fastmcp: 2026-07-28 (modern) or 2025-11-25 "
        "(legacy); auto = the first the server accepts, modern first (default)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON output file (default bench/results/<timestamp>.json)",
    )
    args = parser.parse_args(argv)
    if min(args.duration, args.connections, args.threads, args.repeat) < 1 or args.warmup < 0:
        parser.error("--duration, --connections, --threads and --repeat >= 1; --warmup >= 0")
    return args


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _meta(args: argparse.Namespace, started: dt.datetime, wrk: str) -> dict[str, Any]:
    return {
        "started": started.isoformat(),
        "duration_s": args.duration,
        "connections": args.connections,
        "warmup_s": args.warmup,
        "wrk_threads": args.threads,
        "form": args.form,
        "repeat": args.repeat,
        "wrk": wrk,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "versions": {d: _version(d) for d in ("mcp", "fastmcp", "uvicorn", "uvloop", "httptools",
                                              "starlette", "toolkeep")},
    }  # fmt: skip


def _log(line: str) -> None:
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = _csv(args.only, tuple(TARGETS), "target") or tuple(TARGETS)
    opts = Options(
        duration_s=args.duration,
        connections=args.connections,
        warmup_s=args.warmup,
        threads=args.threads,
        scenarios=_csv(args.scenario, ALL_SCENARIOS, "scenario") or DEFAULT_SCENARIOS,
        form=args.form,
        repeat=args.repeat,
    )
    try:
        wrk = wrk_version()
    except WrkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.UTC)
    meta = _meta(args, started, wrk)
    _log(f"{wrk}; {meta['cpus']} CPUs; load {meta['loadavg_at_start'][0]:.2f}; "
         f"targets: {', '.join(names)}")  # fmt: skip
    results: list[TargetResult] = []
    with tempfile.TemporaryDirectory(prefix="toolkeep-bench-") as tmp:
        for name in names:
            workdir = Path(tmp) / name
            workdir.mkdir()
            results.append(run_target(TARGETS[name], opts, workdir, _log))
    summary = report.summarize(results)
    print(report.render(results, summary, args.connections))
    out = args.out or RESULTS_DIR / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    report.write_json(out, meta, results, summary)
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
