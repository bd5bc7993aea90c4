"""``sdk.db`` in the pool: tool code in a worker, its statements run by the parent against
the real throwaway PostgreSQL and MariaDB servers on 127.0.0.1 (which the pool's policies
open, as an administrator's allow-list would). The connection string reaches the tool the
way it does in production, through ``env``; every call is bounded by ``CALL_BOUND_S``."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from tests.sandbox.conftest import Postgres, invocation, open_pool
from tests.support.mysql import MysqlServer
from toolkeep.sandbox.db import DbPolicy
from toolkeep.sandbox.glue import MAX_DB_CALLS, MAX_HTTP_BATCH
from toolkeep.sandbox.http import HttpPolicy, parse_networks
from toolkeep.sandbox.inprocess import ThreadedQuickJsRunner
from toolkeep.sandbox.pool import ProcessPoolRunner
from toolkeep.sandbox.pool.hostcalls import HostCallHandler
from toolkeep.sandbox.runner import ToolRunResult

pytestmark = pytest.mark.anyio
CALL_BOUND_S = 30.0
KEYS = {"postgres": "id serial PRIMARY KEY", "mysql": "id INT AUTO_INCREMENT PRIMARY KEY"}
CLIENT = "const db = sdk.db({type: params.type, connection: env.DATABASE_URL});\n"
Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Database:
    """One of the two servers, seen by a test: what the tool gets and a direct connection."""

    type: str
    url: str
    password: str
    table: str
    sql: Callable[[str], Rows]  # run a statement as the owner, not through sdk.db

    def args(self, **extra: Any) -> dict[str, Any]:
        arguments = {"type": self.type, "table": self.table, **extra}
        return {"arguments": arguments, "env": {"DATABASE_URL": self.url}}


def _direct(connect: Callable[[], Any]) -> Callable[[str], Rows]:
    """Statements on a new autocommit connection of the owner (psycopg or PyMySQL)."""

    def run(statement: str) -> Rows:
        conn = connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement)
                return list(cursor.fetchall()) if cursor.description else []
        finally:
            conn.close()

    return run


@pytest.fixture(params=["postgres", "mysql"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A fresh, empty table of three columns (id, name, score) in either database."""
    table = f"t_{secrets.token_hex(5)}"
    if request.param == "postgres":
        pg: Postgres = request.getfixturevalue("pg")
        found = Database("postgres", pg.url(), pg.password, table, _direct(pg.connect))
    else:
        maria: MysqlServer = request.getfixturevalue("maria")
        found = Database("mysql", maria.url, maria.password, table, _direct(maria.connect))
    found.sql(f"CREATE TABLE {table} ({KEYS[found.type]}, name VARCHAR(100) NOT NULL, score INT)")
    yield found
    found.sql(f"DROP TABLE {table}")


def seed(database: Database) -> None:
    values = "('ada', 3), ('bob', 5), ('cy', 8)"
    database.sql(f"INSERT INTO {database.table} (name, score) VALUES {values}")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def shared(anyio_backend: str) -> AsyncIterator[ProcessPoolRunner]:
    """The sandbox tests' pools allow 127.0.0.1/32 to sdk.http; sdk.db follows by default."""
    async with open_pool(2) as pool:
        yield pool


async def run(pool: Any, code: str, **kwargs: Any) -> ToolRunResult:
    with anyio.fail_after(CALL_BOUND_S):
        result: ToolRunResult = await pool.run(invocation(code, **kwargs))
        return result


async def run_db(pool: Any, database: Database, body: str, **params: Any) -> ToolRunResult:
    """``body`` with ``db``, a client of ``database`` made from ``env``, in scope."""
    return await run(pool, CLIENT + body, **database.args(**params))


async def test_a_raw_select_with_bindings_returns_the_matching_rows(
    shared: ProcessPoolRunner, database: Database
) -> None:
    seed(database)
    code = """
    const rows = await db.raw(
      'SELECT name, score FROM ' + params.table + ' WHERE score >= ? AND name <> ? ORDER BY id',
      [4, 'cy']);
    return {rows, rowCount: rows.rowCount, fields: rows.fields, truncated: rows.truncated};
    """
    result = await run_db(shared, database, code)
    assert result.value == {
        "rows": [{"name": "bob", "score": 5}],
        "rowCount": 1,
        "fields": ["name", "score"],
        "truncated": False,
    }


async def test_the_query_builder_inserts_selects_updates_and_deletes(
    shared: ProcessPoolRunner, database: Database
) -> None:
    code = """
    const t = params.table;
    const added = await db(t).insert([
      {name: 'ada', score: 3}, {name: 'bob', score: 5}, {name: 'cy', score: 8}]);
    const top = await db(t).select('name', 'score').where('score', '>', 3)
      .orderBy('score', 'desc').limit(1);
    const ada = await db(t).select('name').where({name: 'ada'}).first();
    const changed = await db(t).update({score: 9}).where('name', 'in', ['ada', 'bob']);
    const removed = await db(t).where('name', 'cy').delete();
    const left = await db(t).select('name', 'score').orderBy('name');
    return {added: added.rowCount, insertId: added.insertId, top, ada,
            changed: changed.rowCount, removed: removed.rowCount, left};
    """
    result = await run_db(shared, database, code)
    assert result.value == {
        "added": 3,
        "insertId": 1 if database.type == "mysql" else None,
        "top": [{"name": "cy", "score": 8}],
        "ada": {"name": "ada"},
        "changed": 2,
        "removed": 1,
        "left": [{"name": "ada", "score": 9}, {"name": "bob", "score": 9}],
    }
    stored = database.sql(f"SELECT name, score FROM {database.table} ORDER BY name")
    assert [tuple(row) for row in stored] == [("ada", 9), ("bob", 9)]


async def test_an_injection_attempt_in_a_binding_is_only_a_value(
    shared: ProcessPoolRunner, database: Database
) -> None:
    seed(database)
    code = """
    const t = params.table, found = [];
    for (const evil of params.evil) {
      found.push((await db.raw('SELECT name FROM ' + t + ' WHERE name = ?', [evil])).length);
      found.push((await db(t).where('name', evil)).length);
      found.push((await db(t).where('name', 'in', [evil, 'nobody'])).length);
    }
    const [{n}] = await db.raw('SELECT count(*) AS n FROM ' + t);
    return {found, n};
    """
    evil = [
        "nobody' OR '1'='1",
        f"x'; DROP TABLE {database.table}; --",
        "\\' OR 1=1 -- ",
        "ada' --",
    ]
    result = await run_db(shared, database, code, evil=evil)
    assert result.value == {"found": [0] * 12, "n": 3}
    assert database.sql(f"SELECT count(*) FROM {database.table}")[0][0] == 3


async def test_a_database_error_is_catchable_in_the_tool_with_its_message(
    shared: ProcessPoolRunner, database: Database
) -> None:
    code = """
    try {
      await db.raw('SELECT no_such_column FROM ' + params.table);
      return 'no error';
    } catch (e) {
      return {isError: e instanceof Error, message: e.message, code: e.code, dbCode: e.dbCode};
    }
    """
    result = await run_db(shared, database, code)
    caught = result.value
    assert caught["isError"] is True
    assert caught["message"].startswith("sdk.db: ")
    assert "no_such_column" in caught["message"]
    assert (caught["code"], caught["dbCode"]) == (
        "query_failed",
        "42703" if database.type == "postgres" else "1054",
    )


async def test_an_uncaught_database_error_names_the_tools_line(
    shared: ProcessPoolRunner, database: Database
) -> None:
    code = "console.log('querying');\nawait db(params.table).where('no_such_column', 1);"
    result = await run_db(shared, database, code)
    assert result.error_kind == "thrown"
    assert result.error is not None
    assert result.error.startswith("Error: sdk.db: ")
    assert result.error.endswith("(line 3)")
    assert result.console == ("querying",)


REFUSED = "try { await db.raw('SELECT 1') } catch (e) { return {...e, m: e.message} }"


@pytest.mark.parametrize(
    "policies",
    [
        pytest.param({"http_policy": None}, id="no-allow-list-at-all"),
        pytest.param({"db_policy": DbPolicy()}, id="allow-list-for-http-only"),
    ],
)
async def test_a_loopback_database_is_refused_without_the_allow_list(
    database: Database, policies: dict[str, Any]
) -> None:
    async with open_pool(1, **policies) as strict:
        result = await run_db(strict, database, REFUSED)
    assert result.value["code"] == "address_blocked"
    assert "127.0.0.1 is a loopback address" in result.value["m"]


def test_the_db_policy_opens_what_the_http_policy_opens_unless_given() -> None:
    http = HttpPolicy(allow_networks=parse_networks(["10.1.2.0/24"]))
    derived = ProcessPoolRunner(1, http_policy=http).db_policy.allow_networks
    assert [str(network) for network in derived] == ["10.1.2.0/24"]
    assert list(ProcessPoolRunner(1).db_policy.allow_networks) == []
    own = DbPolicy(max_rows=5)
    assert ProcessPoolRunner(1, http_policy=http, db_policy=own).db_policy is own


async def test_a_tool_gets_at_most_100_queries(
    shared: ProcessPoolRunner, database: Database
) -> None:
    code = """
    let answered = 0;
    for (let round = 0; round < 10; round++) {
      const all = Array.from({length: 10}, () => db.raw('SELECT 1 AS n'));
      answered += (await Promise.all(all)).length;
    }
    try {
      await db.raw('SELECT 1 AS n');
      return {answered};
    } catch (e) {
      return {answered, message: e.message, code: e.code};
    }
    """
    result = await run_db(shared, database, code)
    assert result.value == {
        "answered": MAX_DB_CALLS,
        "message": f"sdk.db: at most {MAX_DB_CALLS} queries per tool call",
        "code": "too_many_queries",
    }


async def test_the_parent_counts_queries_itself_whatever_the_worker_says() -> None:
    """A worker that ignores the glue's cap gets the same refusal from the parent; the
    requests here fail fast (a bad connection string), before any database is involved."""
    host = HostCallHandler(HttpPolicy(), DbPolicy(), deadline=time.monotonic() + 60)
    query = {"kind": "db", "payload": {"type": "postgres", "connection": "x", "sql": "SELECT 1"}}
    codes: list[str] = []
    with anyio.fail_after(CALL_BOUND_S):
        for _ in range(MAX_DB_CALLS // MAX_HTTP_BATCH + 1):
            outcomes = await host.answer({"requests": [query] * MAX_HTTP_BATCH})
            codes += [outcome["error"]["code"] for outcome in outcomes]
        [http] = await host.answer({"requests": [{"kind": "http", "payload": None}]})
    assert codes == ["connection_invalid"] * MAX_DB_CALLS + ["too_many_queries"] * MAX_HTTP_BATCH
    assert http["error"]["code"] == "request_invalid"  # sdk.http has its own count


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def failing_urls(database: Database, wrong: str) -> dict[str, str]:
    """Connection strings that fail in different places, all but one with the password."""
    scheme, _, rest = database.url.partition("://")
    credentials, _, location = rest.partition("@")
    user = credentials.partition(":")[0]
    host_port, _, name = location.partition("/")
    return {
        "unknown user": f"{scheme}://nobody_{wrong[-6:]}:{wrong}@{host_port}/{name}",
        "wrong password": f"{scheme}://{user}:{wrong}@{host_port}/{name}",
        "unknown database": f"{scheme}://{credentials}@{host_port}/no_such_db_{wrong[-4:]}",
        "closed port": f"{scheme}://{credentials}@127.0.0.1:{_closed_port()}/{name}",
        "bad option": f"{database.url}?sslmode=sometimes",
        "sql error": database.url,
    }


LEAK_PROBE = """
const codes = {};
for (const [what, connection] of Object.entries(params.urls)) {
  try {
    await sdk.db({type: params.type, connection}).raw('SELECT nope FROM ' + params.table);
    codes[what] = 'no error';
  } catch (e) {
    codes[what] = e.code;
    console.log(what, e, e.message, String(e), e.stack, JSON.stringify(e));
  }
}
console.log(JSON.stringify(codes));
await sdk.db({type: params.type, connection: params.urls['unknown user']}).raw('SELECT 1');
"""


async def test_the_connection_string_and_password_never_reach_the_tool(
    shared: ProcessPoolRunner, database: Database
) -> None:
    wrong = f"Wr0ng-{secrets.token_hex(6)}"
    urls = failing_urls(database, wrong)
    result = await run(shared, LEAK_PROBE, **database.args(urls=urls))
    codes = json.loads(result.console[-1])
    assert {key: codes[key] for key in ("unknown user", "closed port", "bad option")} == {
        "unknown user": "auth_failed",
        "closed port": "connect_failed",
        "bad option": "connection_invalid",
    }
    # the test cluster trusts every local login (initdb --auth=trust): no password check there
    pg_trust = database.type == "postgres"
    assert codes["wrong password"] == ("query_failed" if pg_trust else "auth_failed")
    assert codes["unknown database"] in ("connect_failed", "auth_failed")
    assert codes["sql error"] == "query_failed"
    assert result.error_kind == "thrown"
    assert (result.error or "").startswith("Error: sdk.db: ")
    assert len(result.console) == len(urls) + 1
    seen = "\n".join([*result.console, result.error or ""])
    for secret in (database.password, wrong, *urls.values()):
        assert secret not in seen


async def test_sdk_db_is_installed_in_every_pre_warmed_context() -> None:
    """Back-to-back calls in one worker get a context warmed without lodash, a pause gets
    one with lodash loaded: both have the same frozen ``sdk.db`` (a read-only accessor that
    parses the client on first use)."""
    code = """
    const d = Object.getOwnPropertyDescriptor(sdk, 'db');
    sdk.db = null;
    return [typeof sdk.db, Object.isFrozen(sdk), typeof d.get === 'function' && d.set === undefined,
            d.configurable];
    """
    async with open_pool(1) as single:
        results = [await run(single, code) for _ in range(3)]
        await anyio.sleep(0.2)  # the worker's idle time: lodash is loaded ahead
        results.append(await run(single, code))
    assert [result.value for result in results] == [["function", True, True, False]] * 4


async def test_the_in_process_runner_says_sdk_db_is_unavailable() -> None:
    code = """
    const db = sdk.db({type: 'postgres', connection: 'postgres://u:secret@db.example.com/d'});
    try { await db('users').where('id', 1); } catch (e) { console.log(e.message, e.code); }
    await db.raw('SELECT 1');
    """
    runner = ThreadedQuickJsRunner(max_workers=1)
    try:
        result = await run(runner, code)
    finally:
        await runner.aclose()
    assert result.console == ("sdk.db is not available in the in-process runner unavailable",)
    assert (result.error_kind, result.error) == (
        "thrown",
        "Error: sdk.db is not available in the in-process runner (line 4)",
    )


def test_a_worker_loads_the_sdk_db_client_without_the_database_drivers() -> None:
    """The prelude comes from a lazily exported package: no driver, anyio or httpx in the
    sandbox process (they are the parent's side)."""
    script = (
        "import sys, toolkeep.sandbox.pool.worker, toolkeep.sandbox.engine; "
        "from toolkeep.sandbox.glue import DB_JS; assert '__toolkeep_install_db' in DB_JS; "
        "print(sorted(m for m in ('psycopg', 'pymysql', 'anyio', 'httpx') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
