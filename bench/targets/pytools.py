"""The plain-Python tools of the ``sdk`` and ``fastmcp`` targets, run in the server process.

Each mirrors a Toolkeep tool of ``bench/targets/toolkeep.py``: ``add`` (``params.a +
params.b``) and ``stats`` (lodash ``_.sum``, ``_.max``, ``_.sortBy``), so both sides do the
same work per call. No imports: each target's own uvicorn process imports this module.
"""

from __future__ import annotations


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def stats(values: list[float]) -> dict[str, object]:
    """Sum, maximum and sorted copy of a list of numbers."""
    return {"sum": sum(values), "max": max(values), "sorted": sorted(values)}
