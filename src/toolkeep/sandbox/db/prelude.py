"""The JavaScript half of ``sdk.db``: the client, ``raw()`` and the query builder.

``DB_PRELUDE`` is self-contained ES2020. It declares one function::

    function __toolkeep_install_db(sdk, hostCall) -> db

which defines ``sdk.db`` (when ``sdk`` is still extensible) and returns the ``db`` function
either way, so a glue that freezes ``sdk`` itself can install the returned function.
Evaluate ``DB_PRELUDE_EXPRESSION`` instead to get the function as the value of the script
without declaring any global name (the declaration then stays local to a closure).

``hostCall(kind, payload)`` is the glue's: called with ``kind = "db"`` and
``payload = {type, connection, sql, bindings}`` (``type`` normalized to ``"postgres"`` or
``"mysql"``, ``bindings`` an array of JSON scalars), it returns a promise that resolves to
the host's ``ok`` answer (``DbResult.to_dict()``: ``{rows, row_count, truncated, fields,
last_insert_id}``) or rejects with the ``error`` answer (``{code, message, db_code?}``, or an
``Error`` carrying those properties). ``hostCall`` is only ever called from a promise job or
a call the tool made, never while the prelude is evaluated.

Every SQL text the builder produces is built from validated identifiers (quoted per
dialect), fixed keywords, ``?`` placeholders and validated integers (LIMIT/OFFSET); every
value travels in ``bindings``. The parent does not trust any of it: it is the same path as
``raw()``. Tool authors' documentation: ``docs/sdk-db.md``.
"""

from __future__ import annotations

from importlib import resources
from typing import Final

HOST_CALL_KIND: Final = "db"

# The JavaScript lives beside this module (package data), read once at import.
DB_PRELUDE: Final = (resources.files(__package__) / "prelude.js").read_text(encoding="utf-8")

DB_PRELUDE_EXPRESSION: Final = (
    "(function () {\n" + DB_PRELUDE + "\nreturn __toolkeep_install_db;\n})()"
)
