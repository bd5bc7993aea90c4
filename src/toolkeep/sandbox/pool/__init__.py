"""Production tool runner: a pool of QuickJS worker processes supervised by the server.

``ProcessPoolRunner`` implements ``toolkeep.sandbox.runner.ToolRunner``. Exports are loaded
lazily so that a worker (``python -m toolkeep.sandbox.pool.worker``), which imports this
package first, does not import the parent's side (httpx, the SSRF guard, anyio).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkeep.sandbox.pool.process import WorkerStartError
    from toolkeep.sandbox.pool.runner import ProcessPoolRunner, RunnerClosed

__all__ = ["ProcessPoolRunner", "RunnerClosed", "WorkerStartError"]
_HOMES = {
    "ProcessPoolRunner": "toolkeep.sandbox.pool.runner",
    "RunnerClosed": "toolkeep.sandbox.pool.runner",
    "WorkerStartError": "toolkeep.sandbox.pool.process",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
