"""``sdk.db``: SQL from untrusted tool code against the owner's PostgreSQL or MySQL database,
performed by the trusted parent.

Entry point: :func:`execute` (``DbRequest`` + ``DbPolicy`` → ``DbResult`` or ``DbError``);
:func:`db_outcome` wraps it for a host call (``{"ok": …}`` / ``{"error": …}``). The JavaScript
side (``sdk.db(...)``, ``raw`` and the query builder) is :data:`DB_PRELUDE`. Addresses are
checked like ``sdk.http``'s (:mod:`toolkeep.sandbox.http.addresses`) and the driver connects
to the checked address only. Tool authors' documentation: ``docs/sdk-db.md``.

Exports are loaded lazily: a sandbox worker imports :mod:`.prelude` (plain text, no
dependencies) for its glue, and must not pull in the drivers, anyio or httpx with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkeep.sandbox.db.errors import DbError, DbErrorCode
    from toolkeep.sandbox.db.executor import db_outcome, execute, request_from_payload
    from toolkeep.sandbox.db.model import DbRequest, DbResult
    from toolkeep.sandbox.db.policy import DEFAULT_MAX_RESULT_BYTES, DbPolicy
    from toolkeep.sandbox.db.prelude import DB_PRELUDE, DB_PRELUDE_EXPRESSION, HOST_CALL_KIND

__all__ = [
    "DB_PRELUDE",
    "DB_PRELUDE_EXPRESSION",
    "DEFAULT_MAX_RESULT_BYTES",
    "HOST_CALL_KIND",
    "DbError",
    "DbErrorCode",
    "DbPolicy",
    "DbRequest",
    "DbResult",
    "db_outcome",
    "execute",
    "request_from_payload",
]
_HOMES = {
    "DB_PRELUDE": "prelude",
    "DB_PRELUDE_EXPRESSION": "prelude",
    "HOST_CALL_KIND": "prelude",
    "DEFAULT_MAX_RESULT_BYTES": "policy",
    "DbPolicy": "policy",
    "DbError": "errors",
    "DbErrorCode": "errors",
    "DbRequest": "model",
    "DbResult": "model",
    "db_outcome": "executor",
    "execute": "executor",
    "request_from_payload": "executor",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
