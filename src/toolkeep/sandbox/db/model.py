"""The request tool code makes, the result it gets, and the payload between them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import orjson

from toolkeep.sandbox.db.errors import DbError, DbErrorCode
from toolkeep.sandbox.db.policy import DbPolicy
from toolkeep.sandbox.db.values import JSON, TooDeep, to_json

Scalar: TypeAlias = bool | int | float | str | None


@dataclass(frozen=True, slots=True)
class DbRequest:
    """What tool code passed to ``sdk.db``: ``type`` is ``"postgres"`` or ``"mysql"``
    (``"postgresql"``, ``"mariadb"`` are accepted too), ``connection`` a URL, ``sql`` one
    statement with ``?`` placeholders, ``bindings`` one JSON scalar per placeholder."""

    type: str
    connection: str = field(repr=False)
    sql: str
    bindings: Sequence[Scalar] = ()

    def __repr__(self) -> str:  # the connection string holds a password; bindings may be data
        return f"DbRequest({self.type!r}, <connection>, {len(self.sql)} chars of SQL)"


@dataclass(frozen=True, slots=True)
class DbResult:
    """Rows as objects keyed by column name (a later duplicate name wins; ``fields`` keeps
    every name in order). ``row_count``: rows returned, or rows affected by a statement that
    returns none (INSERT/UPDATE/DELETE without RETURNING). ``truncated``: the query had more
    rows than the policy's ``max_rows``; only the first ``max_rows`` are here.
    ``last_insert_id``: MySQL's AUTO_INCREMENT id of an INSERT, else ``None``."""

    rows: list[dict[str, JSON]]
    row_count: int
    truncated: bool
    fields: list[str]
    last_insert_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "row_count": self.row_count,
            "truncated": self.truncated,
            "fields": self.fields,
            "last_insert_id": self.last_insert_id,
        }

    def __repr__(self) -> str:
        return f"DbResult({len(self.rows)} rows, truncated={self.truncated})"


class ResultBuilder:
    """Collects converted rows under the policy's caps (rows: truncation; bytes: error)."""

    def __init__(self, policy: DbPolicy) -> None:
        self.max_rows = policy.max_rows
        self.max_bytes = policy.max_result_bytes
        self.rows: list[dict[str, JSON]] = []
        self.fields: list[str] = []
        self.truncated = False
        self.size = 2  # "[]"

    def add(self, values: Sequence[Any]) -> bool:
        """Add one row; ``False`` (and ``truncated``) once ``max_rows`` rows are in."""
        if len(self.rows) >= self.max_rows:
            self.truncated = True
            return False
        try:
            row = {name: to_json(value) for name, value in zip(self.fields, values, strict=True)}
        except TooDeep as exc:
            raise DbError(DbErrorCode.RESULT_TOO_LARGE, f"The result has {exc}") from None
        self.size += len(orjson.dumps(row)) + 1
        if self.size > self.max_bytes:
            raise too_large(self.max_bytes)
        self.rows.append(row)
        return True

    def result(self, row_count: int | None = None, last_insert_id: int | None = None) -> DbResult:
        count = len(self.rows) if row_count is None or self.rows or self.truncated else row_count
        return DbResult(
            rows=self.rows,
            row_count=count,
            truncated=self.truncated,
            fields=self.fields,
            last_insert_id=last_insert_id or None,
        )


def too_large(limit: int) -> DbError:
    size = f"{limit / 1024 / 1024:g} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return DbError(
        DbErrorCode.RESULT_TOO_LARGE,
        f"The result is larger than {size} as JSON; select fewer columns or rows "
        "(LIMIT, WHERE) or shorter values",
    )
