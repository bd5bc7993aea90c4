"""Run wrk with ``lua/post.lua`` and parse what it prints."""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LUA_SCRIPT = Path(__file__).parent / "lua" / "post.lua"

_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_PERCENTILE = re.compile(r"^\s+(\d+(?:\.\d+)?)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_STATUS = re.compile(r"^BENCH-STATUS (\d+) (\d+)$", re.M)


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed something we cannot read."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    connections: int
    threads: int
    requests: int
    duration_s: float
    rps: float
    latency_ms: dict[str, float]  # "50", "75", "90", "99" -> milliseconds
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    statuses: dict[int, int]
    wrk_cpu_s: float
    raw: str = field(repr=False)

    @property
    def p50_ms(self) -> float | None:
        return self.latency_ms.get("50")

    @property
    def p99_ms(self) -> float | None:
        return self.latency_ms.get("99")

    def unexpected(self, expected_status: int) -> int:
        """Responses whose status was not ``expected_status``, plus socket errors."""
        if self.statuses:
            bad = sum(n for status, n in self.statuses.items() if status != expected_status)
        elif 200 <= expected_status < 400:
            bad = self.non_2xx_3xx
        else:  # every expected response is "non-2xx": only 2xx/3xx ones are unexpected
            bad = self.requests - self.non_2xx_3xx
        return bad + sum(self.socket_errors.values())


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkError("wrk not found on PATH (Debian: apt-get install -y wrk)")
    return path


def wrk_version() -> str:
    out = subprocess.run(
        [wrk_binary(), "--version"], capture_output=True, text=True, check=False, timeout=10
    )
    lines = (out.stdout or out.stderr).splitlines()
    return lines[0].strip() if lines else "unknown"


def run_wrk(
    url: str,
    *,
    body_file: Path,
    headers: dict[str, str],
    connections: int,
    duration_s: float,
    threads: int = 1,
    timeout_s: float = 5.0,
) -> WrkResult:
    """Drive ``url`` with one fixed POST for ``duration_s`` seconds and return the figures."""
    threads = max(1, min(threads, connections))
    argv = [
        wrk_binary(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration_s))}s",
        f"--timeout={max(1, round(timeout_s))}s",
        "--latency",
        f"--script={LUA_SCRIPT}",
        url,
        "--",
        str(body_file),
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, check=False, timeout=duration_s + timeout_s + 30
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish within {exc.timeout:.0f}s") from exc
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise WrkError(f"wrk exited {proc.returncode}: {proc.stderr.strip() or proc.stdout}")
    wrk_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return parse_wrk(proc.stdout, connections=connections, threads=threads, wrk_cpu_s=wrk_cpu)


def parse_wrk(text: str, *, connections: int, threads: int, wrk_cpu_s: float = 0.0) -> WrkResult:
    total = _TOTAL.search(text)
    rps = _RPS.search(text)
    if total is None or rps is None:
        raise WrkError(f"cannot parse wrk output:\n{text}")
    socket = _SOCKET.search(text)
    socket_errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, socket.groups()), strict=True))
        if socket
        else {}
    )
    non_2xx = _NON_2XX.search(text)
    return WrkResult(
        connections=connections,
        threads=threads,
        requests=int(total.group(1)),
        duration_s=float(total.group(2)) * _UNITS_MS[total.group(3)] / 1e3,
        rps=float(rps.group(1)),
        latency_ms={
            pct.removesuffix(".0"): float(value) * _UNITS_MS[unit]
            for pct, value, unit in _PERCENTILE.findall(text)
        },
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
        statuses={int(code): int(n) for code, n in _STATUS.findall(text)},
        wrk_cpu_s=wrk_cpu_s,
        raw=text,
    )
