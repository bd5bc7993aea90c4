"""``execute`` against a real MariaDB server (started once per session)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
import pytest

from tests.sandbox.db.helpers import LOCAL, local, refused, run
from tests.support.mysql import MysqlServer
from toolkeep.sandbox.db import DbRequest, execute
from toolkeep.sandbox.db import mysql as mysql_driver

pytestmark = [
    pytest.mark.anyio,
    # PyMySQL drains an unfinished result when a cursor is collected; sdk.db must never let it
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]

INJECTIONS = [
    "x' OR '1'='1",
    "'; DROP TABLE {table}; -- ",
    "\\' OR 1=1 -- ",
    "\\\\' OR 1=1 #",
    'x" OR "1"="1',
    "%' OR 1=1 -- ",
    "1 OR 1=1",
]


def url(server: MysqlServer, **changes: str | int) -> str:
    fields: dict[str, str | int] = {
        "user": server.user,
        "password": server.password,
        "port": server.port,
        "database": server.database,
    }
    fields.update(changes)
    return (
        f"mysql://{quote(str(fields['user']), safe='')}:{quote(str(fields['password']), safe='')}"
        f"@{server.host}:{fields['port']}/{quote(str(fields['database']), safe='')}"
    )


async def make_people(maria: MysqlServer, table: str) -> None:
    await run(
        "mysql",
        maria.url,
        f"CREATE TABLE {table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) UNIQUE,"
        " age INT)",
    )
    await run(
        "mysql",
        maria.url,
        f"INSERT INTO {table} (name, age) VALUES (?, ?), (?, ?), (?, ?)",
        ["ada", 36, "bob", 25, "cy", None],
    )


@pytest.fixture
def no_backslash_escapes(maria: MysqlServer) -> Iterator[None]:
    """The server's global sql_mode with NO_BACKSLASH_ESCAPES, for new sessions."""
    with maria.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT @@GLOBAL.sql_mode")
        row = cursor.fetchone()
        assert row is not None
        before = str(row[0])
        cursor.execute("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')")
    try:
        yield
    finally:
        with maria.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SET GLOBAL sql_mode = %s", (before,))


async def test_rows_come_back_as_objects_with_values_bound_to_placeholders(
    maria: MysqlServer, table: str
) -> None:
    await make_people(maria, table)
    result = await run(
        "mysql", maria.url, f"SELECT name, age FROM {table} WHERE age > ? ORDER BY name", [30]
    )
    assert result.rows == [{"name": "ada", "age": 36}]
    assert (result.row_count, result.truncated, result.fields) == (1, False, ["name", "age"])


@pytest.mark.parametrize("mode", ["default", "no_backslash_escapes"])
@pytest.mark.parametrize("attempt", INJECTIONS)
async def test_injection_attempts_in_bindings_are_plain_values(
    maria: MysqlServer, table: str, attempt: str, mode: str, request: pytest.FixtureRequest
) -> None:
    await make_people(maria, table)
    if mode == "no_backslash_escapes":
        request.getfixturevalue("no_backslash_escapes")
    value = attempt.format(table=table)
    found = await run("mysql", maria.url, f"SELECT * FROM {table} WHERE name = ?", [value])
    assert found.rows == []
    await run("mysql", maria.url, f"INSERT INTO {table} (name) VALUES (?)", [value])
    stored = await run(
        "mysql", maria.url, f"SELECT name FROM {table} WHERE name = BINARY ?", [value]
    )
    assert stored.rows == [{"name": value}]
    count = await run("mysql", maria.url, f"SELECT count(*) AS n FROM {table}")
    assert count.rows == [{"n": 4}]


async def test_percent_signs_in_sql_and_in_bindings_stay_as_written(
    maria: MysqlServer, table: str
) -> None:
    await make_people(maria, table)
    await run("mysql", maria.url, f"INSERT INTO {table} (name) VALUES ('50%'), (?)", ["5%s"])
    result = await run(
        "mysql",
        maria.url,
        f"SELECT name FROM {table} WHERE name LIKE '5%' AND name <> ? ORDER BY name",
        ["x"],
    )
    assert result.rows == [{"name": "5%s"}, {"name": "50%"}]


async def test_a_slow_query_stops_at_the_statement_timeout(maria: MysqlServer) -> None:
    started = time.monotonic()
    error = await refused(
        "mysql", maria.url, "SELECT SLEEP(5)", policy=local(statement_timeout_s=1)
    )
    assert (error.code, error.db_code) == ("timeout", "1969")
    assert 0.9 < time.monotonic() - started < 3


async def test_a_query_that_lifts_the_server_timeout_is_stopped_by_the_parent(
    maria: MysqlServer,
) -> None:
    started = time.monotonic()
    error = await refused(
        "mysql",
        maria.url,
        "SET STATEMENT max_statement_time = 0 FOR SELECT SLEEP(5)",
        policy=local(statement_timeout_s=0.5),
    )
    assert (error.code, error.message) == (
        "timeout",
        "The query did not finish within 0.5 s (the statement timeout)",
    )
    assert 1.4 < time.monotonic() - started < 3  # 0.5 s plus the parent's 1 s of grace


async def test_the_statement_timeout_is_set_on_the_session(maria: MysqlServer) -> None:
    result = await run(
        "mysql",
        maria.url,
        "SELECT @@max_statement_time AS t",
        policy=local(statement_timeout_s=2.5),
    )
    assert result.rows == [{"t": 2.5}]


async def test_rows_beyond_the_cap_are_cut_off_without_reading_the_rest(maria: MysqlServer) -> None:
    started = time.monotonic()
    result = await run(
        "mysql", maria.url, "SELECT seq FROM seq_1_to_100000000", policy=local(max_rows=100)
    )
    assert [row["seq"] for row in result.rows] == list(range(1, 101))
    assert (result.truncated, result.row_count) == (True, 100)
    assert time.monotonic() - started < 5
    exactly = await run(
        "mysql", maria.url, "SELECT seq FROM seq_1_to_100", policy=local(max_rows=100)
    )
    assert (exactly.truncated, exactly.row_count) == (False, 100)


async def test_a_result_larger_than_the_byte_cap_is_an_error(maria: MysqlServer) -> None:
    many = await refused(
        "mysql",
        maria.url,
        "SELECT REPEAT('x', 100000) AS big FROM seq_1_to_50",
        policy=local(max_result_bytes=1024 * 1024),
    )
    assert many.code == "result_too_large"
    one_huge = await refused(
        "mysql",
        maria.url,
        "SELECT REPEAT('x', 8000000) AS big",
        policy=local(max_result_bytes=1024 * 1024),
    )
    assert one_huge.code == "result_too_large"  # stopped while reading, by the byte budget


async def test_values_are_converted_to_json_without_losing_precision(maria: MysqlServer) -> None:
    sql = """SELECT 42 AS small, 9007199254740993 AS big, CAST(12.50 AS DECIMAL(10,2)) AS price,
        1.5e0 AS f, TRUE AS yes, NULL AS nothing, 'héllo' AS text,
        DATE '2024-05-01' AS day, TIMESTAMP '2024-05-01 13:45:00.5' AS ts,
        CAST('-25:00:01' AS TIME) AS span, X'00ff10' AS bytes, b'101' AS bits,
        JSON_OBJECT('a', 1) AS doc, UUID() AS id"""
    (row,) = (await run("mysql", maria.url, sql)).rows
    assert isinstance(row.pop("id"), str)
    assert row == {
        "small": 42,
        "big": "9007199254740993",
        "price": "12.50",
        "f": 1.5,
        "yes": 1,
        "nothing": None,
        "text": "héllo",
        "day": "2024-05-01",
        "ts": "2024-05-01T13:45:00.500000",
        "span": "-25:00:01",
        "bytes": "AP8Q",
        "bits": "BQ==",
        "doc": '{"a": 1}',
    }


async def test_writes_report_the_rows_they_changed_and_the_new_id(
    maria: MysqlServer, table: str
) -> None:
    await make_people(maria, table)
    updated = await run(
        "mysql", maria.url, f"UPDATE {table} SET age = age + 1 WHERE age IS NOT NULL"
    )
    assert (updated.rows, updated.row_count, updated.fields) == ([], 2, [])
    inserted = await run("mysql", maria.url, f"INSERT INTO {table} (name) VALUES (?)", ["dee"])
    assert (inserted.row_count, inserted.last_insert_id) == (1, 4)


async def test_database_errors_carry_the_database_message_and_code(
    maria: MysqlServer, table: str
) -> None:
    await make_people(maria, table)
    duplicate = await refused("mysql", maria.url, f"INSERT INTO {table} (name) VALUES (?)", ["ada"])
    assert (duplicate.code, duplicate.db_code) == ("query_failed", "1062")
    assert duplicate.message == "Duplicate entry 'ada' for key 'name'"
    missing = await refused("mysql", maria.url, "SELECT * FROM no_such_table")
    assert (missing.code, missing.db_code) == ("query_failed", "1146")


async def test_one_call_runs_exactly_one_statement(maria: MysqlServer, table: str) -> None:
    await make_people(maria, table)
    error = await refused("mysql", maria.url, f"SELECT 1; DELETE FROM {table}")
    assert (error.code, error.db_code) == ("query_failed", "1064")
    assert (await run("mysql", maria.url, f"SELECT count(*) AS n FROM {table}")).rows == [{"n": 3}]


async def test_the_server_cannot_read_a_local_file_of_the_parent(
    maria: MysqlServer, table: str
) -> None:
    await run("mysql", maria.url, f"CREATE TABLE {table} (line TEXT)")
    error = await refused(
        "mysql", maria.url, f"LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE {table}"
    )
    assert (error.code, error.db_code) == ("query_failed", "4166")  # local infile disabled
    assert (await run("mysql", maria.url, f"SELECT count(*) AS n FROM {table}")).rows == [{"n": 0}]


async def test_a_wrong_password_is_an_authentication_failure(maria: MysqlServer) -> None:
    error = await refused("mysql", url(maria, password="wrong-password"), "SELECT 1")
    assert (error.code, error.db_code) == ("auth_failed", "1045")
    assert error.message.startswith(f"Access denied for user '{maria.user}'")
    assert "wrong-password" not in error.message


async def test_a_database_the_user_may_not_use_is_an_authentication_failure(
    maria: MysqlServer,
) -> None:
    error = await refused("mysql", url(maria, database="mysql"), "SELECT 1")
    assert (error.code, error.db_code) == ("auth_failed", "1044")


async def test_a_message_that_would_show_the_password_is_redacted(maria: MysqlServer) -> None:
    error = await refused("mysql", url(maria, database=maria.password), "SELECT 1")
    assert maria.password not in error.message
    assert "'[redacted]'" in error.message


async def test_a_refused_port_is_a_connect_failure(maria: MysqlServer, closed_port: int) -> None:
    error = await refused("mysql", url(maria, port=closed_port), "SELECT 1")
    assert (error.code, error.message) == (
        "connect_failed",
        f"Could not connect to 127.0.0.1:{closed_port}: connection refused",
    )


async def test_a_server_that_never_answers_fails_at_the_connect_timeout(
    maria: MysqlServer, silent_port: int
) -> None:
    started = time.monotonic()
    error = await refused(
        "mysql", url(maria, port=silent_port), "SELECT 1", policy=local(connect_timeout_s=0.5)
    )
    assert (error.code, error.message) == (
        "connect_failed",
        f"Could not connect to 127.0.0.1:{silent_port} within 0.5 s",
    )
    assert time.monotonic() - started < 2


async def test_sslmode_require_refuses_a_server_without_tls(maria: MysqlServer) -> None:
    for option in ("sslmode=require", "ssl-mode=REQUIRED"):
        error = await refused("mysql", f"{maria.url}?{option}", "SELECT 1")
        assert error.code == "connect_failed"
        assert error.message.endswith("the server does not support TLS (sslmode requires it)")


async def test_a_caller_that_gives_up_does_not_leave_the_driver_thread_behind(
    maria: MysqlServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished = threading.Event()
    real_work = mysql_driver._work

    def work(*args: Any) -> Any:
        try:
            return real_work(*args)
        finally:
            finished.set()

    monkeypatch.setattr(mysql_driver, "_work", work)
    started = time.monotonic()
    with anyio.move_on_after(0.5) as scope:
        await execute(DbRequest("mysql", maria.url, "SELECT SLEEP(5)"), LOCAL)
    assert scope.cancelled_caught
    assert time.monotonic() - started < 1.5
    assert await anyio.to_thread.run_sync(finished.wait, 3)  # the socket was shut down


SSL_VERSION = "SHOW SESSION STATUS LIKE 'Ssl_version'"


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
    maria_tls: MysqlServer, option: str, tls: bool
) -> None:
    result = await run("mysql", maria_tls.url + option, SSL_VERSION)
    (row,) = result.rows
    assert bool(row["Value"]) is tls
    assert not tls or str(row["Value"]).startswith("TLSv1.")


@pytest.mark.parametrize("option", ["?sslmode=verify-ca", "?ssl-mode=VERIFY_IDENTITY"])
async def test_verified_tls_refuses_a_certificate_from_an_unknown_authority(
    maria_tls: MysqlServer, option: str
) -> None:
    error = await refused("mysql", maria_tls.url + option, "SELECT 1")
    assert error.code == "connect_failed"
    assert "TLS certificate verification failed" in error.message
