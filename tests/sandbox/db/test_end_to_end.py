"""Tool code using ``sdk.db`` in QuickJS, its host calls answered by the parent's
``db_outcome`` against the real PostgreSQL and MariaDB servers (only the transport between
the worker and the parent is left out)."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from tests.sandbox.db.conftest import Postgres
from tests.sandbox.db.helpers import LOCAL
from tests.sandbox.db.jsharness import JsHarness, ToolError
from tests.support.mysql import MysqlServer
from toolkeep.sandbox.db import DbPolicy, db_outcome

pytestmark = pytest.mark.anyio

CREATE = {
    "postgres": "CREATE TABLE {t} (id serial PRIMARY KEY, name text UNIQUE NOT NULL,"
    " score numeric(6,2), meta jsonb)",
    "mysql": "CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY,"
    " name VARCHAR(100) UNIQUE NOT NULL, score DECIMAL(6,2), meta JSON)",
}


def client(db_type: str, connection: str) -> str:
    """The JS object literal ``{type, connection}`` for ``sdk.db``."""
    return json.dumps({"type": db_type, "connection": connection})


def parent(policy: DbPolicy = LOCAL) -> Any:
    async def answer(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert kind == "db"
        with anyio.fail_after(30):
            return await db_outcome(payload, policy)

    return answer


@pytest.fixture(params=["postgres", pytest.param("mysql")])
def database(request: pytest.FixtureRequest) -> tuple[str, str]:
    if request.param == "postgres":
        pg: Postgres = request.getfixturevalue("pg")
        return "postgres", pg.url()
    maria: MysqlServer = request.getfixturevalue("maria")
    return "mysql", maria.url


async def test_a_tool_creates_fills_queries_changes_and_empties_a_table(
    database: tuple[str, str], table: str
) -> None:
    db_type, connection = database
    harness = JsHarness()
    body = f"""
      const db = sdk.db({client(db_type, connection)});
      const t = {json.dumps(table)};
      await db.raw({json.dumps(CREATE[db_type].format(t=table))});
      const added = await db(t).insert([
        {{name: 'ada', score: 1.5, meta: {{langs: ['en']}}}},
        {{name: "x' OR '1'='1", score: 2}},
        {{name: 'bob'}},
      ]);
      const ada = await db(t).select('name', 'score').where('name', 'ada').first();
      const injected = await db(t).where('name', "nobody' OR '1'='1");
      const literal = await db(t).select('id').where('name', "x' OR '1'='1");
      const high = await db(t).select('name').where('score', '>=', 1.5).orderBy('score', 'desc');
      const changed = await db(t).update({{score: 3}}).where('name', 'in', ['ada', 'bob']);
      let refused = null;
      try {{ await db(t).delete(); }} catch (e) {{ refused = e.code; }}
      let duplicate = null;
      try {{ await db(t).insert({{name: 'ada'}}); }} catch (e) {{ duplicate = e.code; }}
      const removed = await db(t).where('name', '!=', 'bob').delete();
      const left = await db(t).select('name').orderBy('id');
      const everything = await db(t).delete().all();
      const count = await db.raw('SELECT count(*) AS n FROM ' + t);
      return {{added: added.rowCount, ada, injected, literal: literal.length, high,
               changed: changed.rowCount,
               refused, duplicate, removed: removed.rowCount, left, everything: everything.rowCount,
               count: count[0].n}};
    """
    with anyio.fail_after(60):
        result = await harness.run(body, parent())
    assert result == {
        "added": 3,
        "ada": {"name": "ada", "score": "1.50"},
        "injected": [],
        "literal": 1,
        "high": [{"name": "x' OR '1'='1"}, {"name": "ada"}],
        "changed": 2,
        "refused": "query_invalid",
        "duplicate": "query_failed",
        "removed": 2,
        "left": [{"name": "bob"}],
        "everything": 1,
        "count": 0,
    }
    unconditional = [
        p["sql"]
        for p in harness.payloads
        if p["sql"].startswith("DELETE") and "WHERE" not in p["sql"]
    ]
    assert len(unconditional) == 1  # the one with .all(); the refused delete() never left JS


async def test_database_errors_reach_the_tool_with_their_codes(database: tuple[str, str]) -> None:
    db_type, connection = database
    harness = JsHarness()
    body = f"""const db = sdk.db({client(db_type, connection)});
        await db('no_such_table_here').where('id', 1);"""
    with anyio.fail_after(30), pytest.raises(ToolError) as caught:
        await harness.run(body, parent())
    assert caught.value.code == "query_failed"
    assert caught.value.db_code in ("42P01", "1146")
    assert caught.value.message.startswith("sdk.db: ")


async def test_an_internal_database_is_refused_to_tool_code_without_an_allow_list(
    database: tuple[str, str],
) -> None:
    db_type, connection = database
    harness = JsHarness()
    body = f"""const db = sdk.db({client(db_type, connection)});
        await db.raw('SELECT 1');"""
    with anyio.fail_after(30), pytest.raises(ToolError) as caught:
        await harness.run(body, parent(DbPolicy()))
    assert caught.value.code == "address_blocked"
    assert "127.0.0.1 is a loopback address" in caught.value.message
