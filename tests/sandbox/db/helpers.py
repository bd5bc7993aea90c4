"""Calling ``execute`` in tests, always under an outer bound, with a loopback-opening policy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
import pytest

from toolkeep.sandbox.db import DbError, DbPolicy, DbRequest, DbResult, execute
from toolkeep.sandbox.http import parse_networks

OUTER_BOUND_S = 30.0
LOOPBACK = parse_networks(["127.0.0.1/32"])
LOCAL = DbPolicy(allow_networks=LOOPBACK)


def local(**overrides: Any) -> DbPolicy:
    """The policy of an administrator who allowed 127.0.0.1/32, with other limits changed."""
    return DbPolicy(allow_networks=LOOPBACK, **overrides)


async def run(
    db_type: str,
    connection: str,
    sql: str,
    bindings: Sequence[Any] = (),
    policy: DbPolicy = LOCAL,
) -> DbResult:
    with anyio.fail_after(OUTER_BOUND_S):
        return await execute(DbRequest(db_type, connection, sql, list(bindings)), policy)


async def refused(
    db_type: str,
    connection: str,
    sql: str,
    bindings: Sequence[Any] = (),
    policy: DbPolicy = LOCAL,
) -> DbError:
    with pytest.raises(DbError) as caught:
        await run(db_type, connection, sql, bindings, policy)
    return caught.value
