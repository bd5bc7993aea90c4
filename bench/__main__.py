"""``python -m bench``: start each target, drive it with wrk, print and save the figures.

.venv/bin/python -m bench [--duration 5] [--connections 32] [--repeat K] [--only NAME]
                         [--scenario NAME[,NAME]] [--form both|modern|legacy] [--paced N]
                         [--http toolkeep|httptools]

e.g. the tool runtime comparison alone:
.venv/bin/python -m bench --only toolkeep,fastmcp --scenario tools_call,tools_call_lodash
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import report
from bench.runner import Options, run_all
from bench.server import HTTP_LAYERS
from bench.targets import ALL_SCENARIOS, DEFAULT_SCENARIOS, FORMS, TARGETS
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
        "--duration", type=float, default=5.0, help="seconds of each measured wrk run (default 5)"
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
        default=1.0,
        help="seconds of unmeasured load before each point, first pass only (default 1; 0 = none)",
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
        help="measured passes over all points, interleaved; per point the fastest pass is kept "
        "(for a busy machine; default 1)",
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
        help="scenarios to run, repeatable or comma-separated "
        f"(default: all of {', '.join(DEFAULT_SCENARIOS)})",
    )
    parser.add_argument(
        "--form",
        choices=("both", *FORMS),
        default="both",
        help="forms tools_list and tools_call are sent in: 2025-11-25 (legacy: stateless for "
        "sdk/fastmcp, one session for toolkeep) and/or 2026-07-28 (modern, stateless); "
        "default both",
    )
    parser.add_argument(
        "--paced",
        type=int,
        default=40,
        metavar="N",
        help="tools_call and tools_call_lodash (first form run) also get N calls one at a time, "
        "50 ms apart, timed by the harness: the idle-worker latency (default 40; 0 = none)",
    )
    parser.add_argument(
        "--http",
        choices=tuple(HTTP_LAYERS),
        default="toolkeep",
        help="the HTTP layer every target runs on: Toolkeep's (uvicorn's httptools protocol "
        "with coalesced writes, as `toolkeep serve` runs; default) or uvicorn's stock httptools",
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
    if args.paced != 0 and args.paced < 10:
        parser.error("--paced is 0 (none) or at least 10")
    return args


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_out(*args: str) -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                          timeout=10)  # fmt: skip
    return done.stdout


def _git() -> dict[str, Any]:
    """The commit measured, and the tracked files that differ from it under src/ and bench/."""
    try:
        head = _git_out("rev-parse", "--short", "HEAD").strip()
        status = _git_out("status", "--porcelain", "--untracked-files=no", "--", "src", "bench")
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "modified": []}
    return {"commit": head, "modified": [line[3:] for line in status.splitlines()]}


def _meta(args: argparse.Namespace, started: dt.datetime, wrk: str) -> dict[str, Any]:
    return {
        "started": started.isoformat(),
        "duration_s": args.duration,
        "connections": args.connections,
        "warmup_s": args.warmup,
        "wrk_threads": args.threads,
        "form": args.form,
        "repeat": args.repeat,
        "paced_calls": args.paced,
        "http": args.http,
        "wrk": wrk,
        "git": _git(),
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
        forms=FORMS if args.form == "both" else tuple(f for f in FORMS if f == args.form),
        repeat=args.repeat,
        paced=args.paced,
        http=args.http,
    )
    try:
        wrk = wrk_version()
    except WrkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.UTC)
    meta = _meta(args, started, wrk)
    _log(f"{wrk}; {meta['cpus']} CPUs; load {meta['loadavg_at_start'][0]:.2f}; "
         f"commit {meta['git']['commit']} ({len(meta['git']['modified'])} modified files "
         f"under src/, bench/); targets: {', '.join(names)}; "
         f"forms: {', '.join(opts.forms)}; HTTP layer: {args.http}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="toolkeep-bench-") as tmp:
        results = run_all([TARGETS[n] for n in names], opts, Path(tmp), _log)
    summary = report.summarize(results)
    print(report.render(results, summary, args.connections))
    out = args.out or RESULTS_DIR / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    report.write_json(out, meta, results, summary)
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
