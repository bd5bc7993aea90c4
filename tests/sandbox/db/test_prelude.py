"""The JavaScript client in a real QuickJS context: the SQL and bindings the query builder
produces, what it refuses, and how answers and errors reach tool code."""

from __future__ import annotations

import importlib
import json
from typing import Any

import anyio
import pytest

from tests.sandbox.db.jsharness import JsHarness, ToolError, failing, rows
from toolkeep.sandbox.db import DB_PRELUDE_EXPRESSION

pytestmark = pytest.mark.anyio

PG = "postgres://app:pw@db.example.com:5432/shop"
MY = "mysql://app:pw@db.example.com:3306/shop"


def build(chain: str, connection: str = PG) -> Any:
    """``chain`` applied to ``db`` (a client for ``connection``), then ``toSQL()``, or the
    error it throws as ``{code, message}``."""
    harness = JsHarness()
    return harness.eval_json(
        "(function () { var sdk = {}; __toolkeep_install_db(sdk, __hostCall);"
        f" var db = sdk.db({{connection: {json.dumps(connection)}}});"
        f" try {{ return db{chain}.toSQL(); }}"
        " catch (e) { return {code: e.code, message: e.message}; } })()"
    )


async def tool(body: str, answer: Any = None, harness: JsHarness | None = None) -> Any:
    harness = harness or JsHarness()
    with anyio.fail_after(10):
        return await harness.run(body, answer or rows())


@pytest.mark.parametrize(
    ("chain", "sql", "bindings"),
    [
        (
            "('users').select('id', 'name').where('age', '>', 30).orderBy('name', 'desc')"
            ".limit(5).offset(10)",
            'SELECT "id", "name" FROM "users" WHERE "age" > ? ORDER BY "name" DESC'
            " LIMIT 5 OFFSET 10",
            [30],
        ),
        (
            ".table('public.users').select(['u.*']).where({name: 'ada', active: true})",
            'SELECT "u".* FROM "public"."users" WHERE "name" = ? AND "active" = ?',
            ["ada", True],
        ),
        (
            "('users').where('email', null).where('deleted_at', '!=', null)"
            ".where('role', 'in', ['a', 'b'])",
            'SELECT * FROM "users" WHERE "email" IS NULL AND "deleted_at" IS NOT NULL'
            ' AND "role" IN (?, ?)',
            ["a", "b"],
        ),
        (
            "('users').where('id', 'in', []).where('name', 'LIKE', 'a%').where('n', '<=', 2)"
            ".first()",
            'SELECT * FROM "users" WHERE 1 = 0 AND "name" LIKE ? AND "n" <= ? LIMIT 1',
            ["a%", 2],
        ),
        (
            "('users').where('a', '!=', 1).where('b', '>=', 2).where('c', '<', 3)"
            ".where('d', '=', 4)",
            'SELECT * FROM "users" WHERE "a" <> ? AND "b" >= ? AND "c" < ? AND "d" = ?',
            [1, 2, 3, 4],
        ),
        (
            "('events').where('at', '>', new Date(Date.UTC(2024, 0, 2)))"
            ".where('n', 12345678901234567890n)",
            'SELECT * FROM "events" WHERE "at" > ? AND "n" = ?',
            ["2024-01-02T00:00:00.000Z", "12345678901234567890"],
        ),
    ],
)
def test_select_queries_become_parameterized_postgres_sql(
    chain: str, sql: str, bindings: list[Any]
) -> None:
    assert build(chain) == {"sql": sql, "bindings": bindings}


def test_mysql_quotes_names_with_backticks_and_needs_a_limit_for_an_offset() -> None:
    assert build("('shop.orders').select('id').where('total', '>', 9.5).offset(20)", MY) == {
        "sql": "SELECT `id` FROM `shop`.`orders` WHERE `total` > ? LIMIT 18446744073709551615"
        " OFFSET 20",
        "bindings": [9.5],
    }


def test_insert_binds_every_value_and_fills_missing_columns_with_default() -> None:
    chain = (
        "('users').insert([{name: 'ada', age: 36}, {name: 'bob', tags: ['x'], meta: {k: 1}}])"
        ".returning('id')"
    )
    assert build(chain) == {
        "sql": 'INSERT INTO "users" ("name", "age", "tags", "meta")'
        " VALUES (?, ?, DEFAULT, DEFAULT),"
        ' (?, DEFAULT, ?, ?) RETURNING "id"',
        "bindings": ["ada", 36, "bob", '["x"]', '{"k":1}'],
    }


def test_an_empty_insert_uses_each_dialects_default_row() -> None:
    assert build("('hits').insert({})")["sql"] == 'INSERT INTO "hits" DEFAULT VALUES'
    assert build("('hits').insert({})", MY)["sql"] == "INSERT INTO `hits` () VALUES ()"


def test_update_and_delete_bind_values_before_conditions() -> None:
    assert build("('users').update({age: 37, nick: null, skip: undefined}).where('id', 7)") == {
        "sql": 'UPDATE "users" SET "age" = ?, "nick" = ? WHERE "id" = ?',
        "bindings": [37, None, 7],
    }
    assert build("('users').where('id', 7).delete().returning()", MY) == {
        "sql": "DELETE FROM `users` WHERE `id` = ? RETURNING *",
        "bindings": [7],
    }


@pytest.mark.parametrize(
    "chain", ["('users').update({a: 1})", "('users').delete()", "('users').del()"]
)
def test_update_or_delete_without_where_is_refused_unless_all_is_chained(chain: str) -> None:
    refused = build(chain)
    assert refused["code"] == "query_invalid"
    assert "without where() would" in refused["message"]
    assert ".all()" in refused["message"]
    assert build(chain + ".all()")["sql"].startswith(("UPDATE", "DELETE"))


@pytest.mark.parametrize(
    "chain",
    [
        "('users; DROP TABLE users')",
        "('users--')",
        "('1users')",
        "('a.b.c')",
        "('us\"ers')",
        "('us`ers')",
        "('')",
        "(42)",
        "('users').select('name, password')",
        "('users').select('*, (SELECT 1)')",
        "('users').where('id = 1 OR 1', 1)",
        "('users').orderBy('name; DROP')",
        "('users').insert({'a) VALUES (1); --': 1})",
        "('users').update({'a = 1, b': 2}).all()",
    ],
)
def test_names_that_are_not_plain_identifiers_are_refused(chain: str) -> None:
    assert build(chain)["code"] == "query_invalid"


@pytest.mark.parametrize(
    ("chain", "problem"),
    [
        ("('users').where('id', undefined)", "the value is undefined"),
        ("('users').where({id: undefined})", "the value is undefined"),
        ("('users').where('id', 'OR', 1)", "is not allowed"),
        ("('users').where('id', '= 1 OR 1 =', 1)", "is not allowed"),
        ("('users').where('id', NaN)", "not a finite number"),
        ("('users').where('id', {a: 1})", "must be a string, number, boolean, null or Date"),
        ("('users').where('id', 'in', 5)", "must be an array"),
        ("('users').where('id', '>', null)", "only = and != compare with null"),
        ("('users').orderBy('id', 'sideways')", "'asc' or 'desc'"),
        ("('users').limit(-1)", "whole number"),
        ("('users').limit('5; DROP')", "whole number"),
        ("('users').offset(1.5)", "whole number"),
        ("('users').insert([])", "nothing to insert"),
        ("('users').insert('a')", "an object or an array of objects"),
        ("('users').update({}).where('id', 1)", "no column to change"),
        ("('users').insert({a: 1}).update({a: 2})", "not insert and update"),
        ("('users').update({a: 1}).where('id', 1).limit(1)", "select queries only"),
        ("('users').returning('id')", "insert, update and delete"),
    ],
)
def test_builder_misuse_is_a_clear_query_invalid_error(chain: str, problem: str) -> None:
    refused = build(chain)
    assert refused["code"] == "query_invalid"
    assert refused["message"].startswith("sdk.db: ")
    assert problem in refused["message"]


async def test_awaiting_a_builder_sends_one_host_call_with_the_sql_and_bindings() -> None:
    harness = JsHarness()
    body = f"""const db = sdk.db({{type: 'postgres', connection: {json.dumps(PG)}}});
        const query = db('users').where('id', 1);
        const a = await query, b = await query;
        return {{same: a === b, rows: a, count: a.rowCount, fields: a.fields,
                 truncated: a.truncated, insertId: a.insertId}};"""
    answer = rows({"id": 1, "name": "ada"})
    assert await tool(body, answer, harness) == {
        "same": True,
        "rows": [{"id": 1, "name": "ada"}],
        "count": 1,
        "fields": ["id", "name"],
        "truncated": False,
        "insertId": None,
    }
    assert harness.payloads == [
        {
            "type": "postgres",
            "connection": PG,
            "sql": 'SELECT * FROM "users" WHERE "id" = ?',
            "bindings": [1],
        }
    ]


async def test_first_resolves_to_the_first_row_or_null() -> None:
    body = f"const db = sdk.db({{connection: {json.dumps(MY)}}}); return await db('users').first();"
    assert await tool(body, rows({"id": 1}, {"id": 2})) == {"id": 1}
    assert await tool(body, rows()) is None


async def test_raw_sends_the_sql_and_bindings_unchanged_and_resolves_to_rows() -> None:
    harness = JsHarness()
    body = f"""const db = sdk.db({{type: 'mariadb', connection: {json.dumps(MY)}}});
        const result = await db.raw("SELECT * FROM t WHERE a = ? AND b = '?'",
                                    ['x', 2, null, true]);
        return [result, result.rowCount, result.insertId, Object.keys(result)];"""
    answer = rows({"a": "x"}, last_insert_id=5)
    assert await tool(body, answer, harness) == [[{"a": "x"}], 1, 5, ["0"]]
    assert harness.payloads == [
        {
            "type": "mysql",
            "connection": MY,
            "sql": "SELECT * FROM t WHERE a = ? AND b = '?'",
            "bindings": ["x", 2, None, True],
        }
    ]


async def test_writes_resolve_to_the_row_count_and_insert_id() -> None:
    body = f"""const db = sdk.db({{connection: {json.dumps(MY)}}});
        return [await db('users').insert({{name: 'ada'}}),
                await db('users').update({{a: 1}}).all()];"""
    answer = rows(row_count=3, last_insert_id=42)
    assert await tool(body, answer) == [
        {"rowCount": 3, "insertId": 42},
        {"rowCount": 3, "insertId": 42},
    ]


async def test_a_refused_update_never_reaches_the_host() -> None:
    harness = JsHarness()
    body = (
        f"const db = sdk.db({{connection: {json.dumps(PG)}}}); await db('users').update({{a: 1}});"
    )
    with pytest.raises(ToolError) as caught:
        await tool(body, harness=harness)
    assert caught.value.code == "query_invalid"
    assert harness.payloads == []


async def test_host_errors_reach_tool_code_as_errors_with_code_and_database_code() -> None:
    body = f"""const db = sdk.db({{connection: {json.dumps(PG)}}});
        try {{ await db.raw('INSERT INTO t VALUES (1)'); }}
        catch (e) {{ return [e instanceof Error, e.code, e.dbCode, e.message]; }}"""
    answer = failing("query_failed", "duplicate key value violates unique constraint", "23505")
    assert await tool(body, answer) == [
        True,
        "query_failed",
        "23505",
        "sdk.db: duplicate key value violates unique constraint",
    ]


async def test_invalid_bindings_to_raw_reject_without_a_host_call() -> None:
    harness = JsHarness()
    body = f"""const db = sdk.db({{connection: {json.dumps(PG)}}});
        const out = [];
        for (const b of [[undefined], [{{a: 1}}], 'x', [Infinity]]) {{
          try {{ await db.raw('SELECT ?', b); }} catch (e) {{ out.push(e.code); }}
        }}
        try {{ await db.raw(''); }} catch (e) {{ out.push(e.code); }}
        return out;"""
    assert await tool(body, harness=harness) == ["query_invalid"] * 5
    assert harness.payloads == []


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ("undefined", "connection_invalid"),
        ("{type: 'postgres'}", "connection_invalid"),
        ("{type: 'oracle', connection: 'x'}", "db_type_invalid"),
        ("{connection: 'sqlite:///x.db'}", "db_type_invalid"),
    ],
)
async def test_a_bad_client_configuration_throws_at_once(config: str, code: str) -> None:
    body = (
        f"try {{ sdk.db({config}); }}"
        " catch (e) { return [e.code, e.message.startsWith('sdk.db: ')]; }"
    )
    assert await tool(body) == [code, True]


def test_the_connection_string_is_never_part_of_an_error_message() -> None:
    refused = build(
        "('users').where('secret', undefined)", "postgres://app:hunter2@db.example.com/x"
    )
    assert "hunter2" not in refused["message"]


async def test_without_a_host_function_queries_reject_as_unavailable() -> None:
    harness = JsHarness()
    harness.context.eval("__hostCall = undefined; var __keep = __toolkeep_install_db;")
    body = f"""const db = __toolkeep_install_db({{}}, undefined)({{connection: {json.dumps(PG)}}});
        try {{ await db.raw('SELECT 1'); }} catch (e) {{ return e.code; }}"""
    assert await tool(body, harness=harness) == "unavailable"


def test_a_frozen_sdk_gets_the_function_returned_instead() -> None:
    harness = JsHarness()
    assert harness.eval_json(
        "(function () { var sdk = Object.freeze({});"
        " var db = __toolkeep_install_db(sdk, __hostCall);"
        " return [typeof db, sdk.db === undefined,"
        " typeof db({connection: 'mysql://a:b@h/d'}).raw]; })()"
    ) == ["function", True, "function"]


def test_the_expression_form_declares_no_global_name() -> None:
    quickjs: Any = importlib.import_module("quickjs")
    context = quickjs.Context()
    install = context.eval(DB_PRELUDE_EXPRESSION)
    assert context.eval("typeof __toolkeep_install_db") == "undefined"
    context.set("install", install)
    assert context.eval("var s = {}; install(s, null); typeof s.db") == "function"


async def test_a_query_cannot_be_changed_after_it_ran() -> None:
    body = f"""const db = sdk.db({{connection: {json.dumps(PG)}}});
        const q = db('users');
        await q;
        try {{ q.where('id', 1); }} catch (e) {{ return e.code; }}"""
    assert await tool(body) == "query_invalid"
