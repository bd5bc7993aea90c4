"""``execute`` against a real PostgreSQL server (started once per session)."""

from __future__ import annotations

import ipaddress
import secrets
import time

import anyio
import pytest

from tests.sandbox.db.conftest import Postgres
from tests.sandbox.db.helpers import LOCAL, local, refused, run
from toolkeep.sandbox.db import DbPolicy, DbRequest, execute
from toolkeep.sandbox.db.postgres import NO_FILE, connection_params
from toolkeep.sandbox.db.target import parse_connection

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

INJECTIONS = [
    "x' OR '1'='1",
    "'; DROP TABLE {table}; --",
    "\\' OR 1=1 --",
    "1 OR 1=1",
    'x" OR "1"="1',
    "$$ OR 1=1 --",
]


async def make_people(pg: Postgres, table: str) -> None:
    await run(
        "postgres",
        pg.url(),
        f"CREATE TABLE {table} (id serial PRIMARY KEY, name text UNIQUE, age int)",
    )
    await run(
        "postgres",
        pg.url(),
        f"INSERT INTO {table} (name, age) VALUES (?, ?), (?, ?), (?, ?)",
        ["ada", 36, "bob", 25, "cy", None],
    )


async def test_rows_come_back_as_objects_with_values_bound_to_placeholders(
    pg: Postgres, table: str
) -> None:
    await make_people(pg, table)
    result = await run(
        "postgres", pg.url(), f"SELECT name, age FROM {table} WHERE age > ? ORDER BY name", [30]
    )
    assert result.rows == [{"name": "ada", "age": 36}]
    assert (result.row_count, result.truncated, result.fields) == (1, False, ["name", "age"])


@pytest.mark.parametrize("attempt", INJECTIONS)
async def test_injection_attempts_in_bindings_are_plain_values(
    pg: Postgres, table: str, attempt: str
) -> None:
    await make_people(pg, table)
    value = attempt.format(table=table)
    found = await run("postgres", pg.url(), f"SELECT * FROM {table} WHERE name = ?", [value])
    assert found.rows == []
    await run("postgres", pg.url(), f"INSERT INTO {table} (name) VALUES (?)", [value])
    stored = await run("postgres", pg.url(), f"SELECT name FROM {table} WHERE name = ?", [value])
    assert stored.rows == [{"name": value}]
    count = await run("postgres", pg.url(), f"SELECT count(*) AS n FROM {table}")
    assert count.rows == [{"n": 4}]


async def test_a_slow_query_stops_at_the_statement_timeout(pg: Postgres) -> None:
    started = time.monotonic()
    error = await refused(
        "postgres", pg.url(), "SELECT pg_sleep(5)", policy=local(statement_timeout_s=1)
    )
    elapsed = time.monotonic() - started
    assert (error.code, error.db_code) == ("timeout", "57014")
    assert error.message == "The query did not finish within 1 s (the statement timeout)"
    assert 0.9 < elapsed < 3


async def test_the_statement_timeout_is_set_on_the_session(pg: Postgres) -> None:
    result = await run(
        "postgres", pg.url(), "SHOW statement_timeout", policy=local(statement_timeout_s=2.5)
    )
    assert result.rows == [{"statement_timeout": "2500ms"}]


async def test_rows_beyond_the_cap_are_cut_off_and_the_query_is_cancelled(pg: Postgres) -> None:
    started = time.monotonic()
    result = await run(
        "postgres",
        pg.url(),
        "SELECT generate_series(1, 100000000) AS n",
        policy=local(max_rows=100),
    )
    assert [row["n"] for row in result.rows] == list(range(1, 101))
    assert (result.truncated, result.row_count) == (True, 100)
    assert time.monotonic() - started < 5  # 10^8 rows were never produced
    exactly = await run(
        "postgres",
        pg.url(),
        "SELECT n FROM generate_series(1, 100) AS n",
        policy=local(max_rows=100),
    )
    assert (exactly.truncated, exactly.row_count) == (False, 100)


async def test_a_result_larger_than_the_byte_cap_is_an_error(pg: Postgres) -> None:
    error = await refused(
        "postgres",
        pg.url(),
        "SELECT repeat('x', 100000) AS blob FROM generate_series(1, 50)",
        policy=local(max_result_bytes=1024 * 1024),
    )
    assert error.code == "result_too_large"
    assert "larger than 1 MiB" in error.message


async def test_values_are_converted_to_json_without_losing_precision(pg: Postgres) -> None:
    sql = """SELECT 42 AS small, 9007199254740993::int8 AS big, 12.50::numeric AS price,
        'NaN'::numeric AS nan_numeric, 1.5::float8 AS f, 'Infinity'::float8 AS inf,
        true AS yes, NULL AS nothing, 'héllo' AS text,
        DATE '2024-05-01' AS day, 'infinity'::date AS forever,
        TIMESTAMP '2024-05-01 13:45:00.5' AS ts,
        TIMESTAMPTZ '2024-05-01 13:45:00+02' AT TIME ZONE 'UTC' AS naive_utc,
        TIME '13:45' AS t, INTERVAL '1 day 2 hours' AS span,
        '\\x00ff10'::bytea AS bytes, '6f1d2b9c-8f3e-4c55-9a55-0c5f2a1b3c4d'::uuid AS id,
        '{"a": [1, 2.5, null], "b": {"c": "d"}}'::jsonb AS doc, ARRAY[1, 2, 3] AS list,
        ARRAY[DATE '2024-01-02', 'infinity'] AS days, '10.0.0.1/8'::inet AS net"""
    (row,) = (await run("postgres", pg.url(), sql)).rows
    assert row == {
        "small": 42,
        "big": "9007199254740993",
        "price": "12.50",
        "nan_numeric": "NaN",
        "f": 1.5,
        "inf": "Infinity",
        "yes": True,
        "nothing": None,
        "text": "héllo",
        "day": "2024-05-01",
        "forever": "infinity",
        "ts": "2024-05-01T13:45:00.500000",
        "naive_utc": "2024-05-01T11:45:00",
        "t": "13:45:00",
        "span": "1 day 02:00:00",
        "bytes": "AP8Q",
        "id": "6f1d2b9c-8f3e-4c55-9a55-0c5f2a1b3c4d",
        "doc": {"a": [1, 2.5, None], "b": {"c": "d"}},
        "list": [1, 2, 3],
        "days": ["2024-01-02", "infinity"],
        "net": "10.0.0.1/8",
    }


async def test_timestamps_with_time_zone_are_iso_strings_with_an_offset(pg: Postgres) -> None:
    (row,) = (
        await run("postgres", pg.url(), "SELECT TIMESTAMPTZ '2024-05-01 13:45:00+00' AS at")
    ).rows
    assert isinstance(row["at"], str)
    assert row["at"].startswith("2024-05-01T")
    assert row["at"][-6] in "+-"


async def test_parameters_are_typed_by_postgres_from_their_context(
    pg: Postgres, table: str
) -> None:
    await make_people(pg, table)
    by_text = await run("postgres", pg.url(), f"SELECT name FROM {table} WHERE id = ?", ["2"])
    by_number = await run("postgres", pg.url(), f"SELECT name FROM {table} WHERE id = ?", [2])
    assert by_text.rows == by_number.rows == [{"name": "bob"}]
    day = await run(
        "postgres", pg.url(), "SELECT ? < now() AS past, ? AS flag", ["2001-02-03", True]
    )
    assert day.rows == [{"past": True, "flag": "true"}]


async def test_writes_report_the_rows_they_changed(pg: Postgres, table: str) -> None:
    await make_people(pg, table)
    updated = await run(
        "postgres", pg.url(), f"UPDATE {table} SET age = age + 1 WHERE age IS NOT NULL"
    )
    assert (updated.rows, updated.row_count, updated.fields) == ([], 2, [])
    inserted = await run(
        "postgres",
        pg.url(),
        f"INSERT INTO {table} (name) VALUES (?), (?) RETURNING id, name",
        ["d", "e"],
    )
    assert inserted.rows == [{"id": 4, "name": "d"}, {"id": 5, "name": "e"}]
    assert inserted.row_count == 2
    assert inserted.last_insert_id is None


async def test_database_errors_carry_the_database_message_and_code(
    pg: Postgres, table: str
) -> None:
    await make_people(pg, table)
    duplicate = await refused(
        "postgres", pg.url(), f"INSERT INTO {table} (name) VALUES (?)", ["ada"]
    )
    assert (duplicate.code, duplicate.db_code) == ("query_failed", "23505")
    assert duplicate.message.startswith("duplicate key value violates unique constraint")
    assert "(Key (name)=(ada) already exists.)" in duplicate.message
    missing = await refused("postgres", pg.url(), "SELECT * FROM no_such_table")
    assert (missing.message, missing.db_code) == (
        'relation "no_such_table" does not exist',
        "42P01",
    )


async def test_one_call_runs_exactly_one_statement(pg: Postgres, table: str) -> None:
    await make_people(pg, table)
    error = await refused("postgres", pg.url(), f"SELECT 1; DELETE FROM {table}")
    assert error.code == "query_failed"
    assert "multiple commands" in error.message
    assert (await run("postgres", pg.url(), f"SELECT count(*) AS n FROM {table}")).rows == [
        {"n": 3}
    ]


async def test_copy_is_refused(pg: Postgres, table: str) -> None:
    await make_people(pg, table)
    error = await refused("postgres", pg.url(), f"COPY {table} TO STDOUT")
    assert (error.code, error.message) == ("query_failed", "COPY is not supported by sdk.db")


async def test_doubled_question_marks_reach_postgres_as_jsonb_operators(pg: Postgres) -> None:
    result = await run(
        "postgres", pg.url(), "SELECT ?::jsonb ?? ? AS has, $$?$$ AS text", ['{"a": 1}', "a"]
    )
    assert result.rows == [{"has": True, "text": "?"}]
    native = await run("postgres", pg.url(), "SELECT $2::int - $1::int AS diff", [1, 5])
    assert native.rows == [{"diff": 4}]


async def test_an_unknown_role_is_an_authentication_failure(pg: Postgres) -> None:
    error = await refused("postgres", pg.url(user="nobody_here"), "SELECT 1")
    assert (error.code, error.message) == ("auth_failed", 'role "nobody_here" does not exist')


async def test_an_unknown_database_is_a_connect_failure_with_the_server_message(
    pg: Postgres,
) -> None:
    error = await refused("postgres", pg.url(database="no_such_db"), "SELECT 1")
    assert (error.code, error.message) == ("connect_failed", 'database "no_such_db" does not exist')


async def test_a_message_that_would_show_the_password_is_redacted(pg: Postgres) -> None:
    error = await refused("postgres", pg.url(database=pg.password), "SELECT 1")
    assert error.message == 'database "[redacted]" does not exist'


async def test_a_refused_port_is_a_connect_failure(pg: Postgres, closed_port: int) -> None:
    error = await refused("postgres", pg.url(port=closed_port), "SELECT 1")
    assert (error.code, error.message) == (
        "connect_failed",
        f"Could not connect to 127.0.0.1:{closed_port}: connection refused",
    )


async def test_a_server_that_never_answers_fails_at_the_connect_timeout(
    pg: Postgres, silent_port: int
) -> None:
    started = time.monotonic()
    error = await refused(
        "postgres", pg.url(port=silent_port), "SELECT 1", policy=local(connect_timeout_s=0.5)
    )
    assert (error.code, error.message) == (
        "connect_failed",
        f"Could not connect to 127.0.0.1:{silent_port} within 0.5 s",
    )
    assert time.monotonic() - started < 2


SSL_IN_USE = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


@pytest.mark.parametrize(
    ("option", "tls"),
    [
        ("", True),
        ("?sslmode=prefer", True),
        ("?sslmode=require", True),
        ("?sslmode=disable", False),
    ],
)
async def test_tls_is_used_whenever_the_server_offers_it_unless_disabled(
    pg: Postgres, option: str, tls: bool
) -> None:
    if not pg.tls:
        pytest.skip("TLS is only set up on the cluster the tests start themselves")
    assert (await run("postgres", pg.url() + option, SSL_IN_USE)).rows == [{"ssl": tls}]


@pytest.mark.parametrize("mode", ["verify-ca", "verify-full"])
async def test_verified_tls_refuses_a_certificate_from_an_unknown_authority(
    pg: Postgres, mode: str
) -> None:
    if not pg.tls:
        pytest.skip("TLS is only set up on the cluster the tests start themselves")
    error = await refused("postgres", f"{pg.url()}?sslmode={mode}", "SELECT 1")
    assert error.code == "connect_failed"
    assert "TLS certificate verification failed" in error.message


def test_libpq_gets_every_option_explicitly_so_the_environment_fills_none() -> None:
    target = parse_connection("postgres", "postgres://app@db.example.com/shop")
    address = ipaddress.ip_address("203.0.113.9")
    params = connection_params(target, [address], DbPolicy(statement_timeout_s=3))
    assert (params["host"], params["hostaddr"]) == ("db.example.com", "203.0.113.9")
    assert params["password"] == ""  # explicit: PGPASSWORD is never consulted
    assert params["passfile"] == params["sslcert"] == params["sslkey"] == NO_FILE
    assert params["gssencmode"] == "disable"
    assert params["options"] == "-c statement_timeout=3000"
    assert (params["dbname"], params["user"]) == ("shop", "app")


async def test_a_caller_that_gives_up_leaves_no_query_running_on_the_server(pg: Postgres) -> None:
    marker = f"SELECT pg_sleep(5) AS gave_up_{secrets.token_hex(4)}"
    with anyio.move_on_after(0.5) as scope:
        await execute(DbRequest("postgres", pg.url(), marker), LOCAL)
    assert scope.cancelled_caught
    with pg.connect() as conn:
        for _ in range(60):  # a bounded wait: 3 s
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query = %s AND state = 'active'",
                [marker],
            ).fetchone()
            if row is not None and row[0] == 0:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the abandoned query is still running")
