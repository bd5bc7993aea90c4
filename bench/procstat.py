"""CPU time of a process tree, read from ``/proc`` (Linux only)."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return kids
    for task in tasks:
        try:
            kids.extend(int(c) for c in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return kids


def tree_cpu_seconds(pid: int, *, include_self: bool = True) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and every descendant.

    Each live process contributes its own utime+stime plus cutime+cstime (the times of the
    children it has reaped), so a worker that exits during the window still counts.
    ``include_self=False`` leaves out ``pid``'s own utime+stime: its descendants only, read
    in the same pass.
    """
    total_ticks = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        fields = _stat_fields(current)
        if fields is None:
            continue
        # After the comm field: index 11 = utime, 12 = stime, 13 = cutime, 14 = cstime.
        first = 11 if include_self or current != pid else 13
        total_ticks += sum(int(f) for f in fields[first:15])
        stack.extend(_children(current))
    return total_ticks / _TICKS


def machine_busy_seconds() -> float:
    """CPU seconds spent not idle, summed over all CPUs, since boot (``/proc/stat``)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
    total = sum(fields[:8])
    idle = fields[3] + fields[4]
    return (total - idle) / _TICKS


def alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")
