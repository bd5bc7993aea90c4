"""What is refused before any connection: bad types, connection strings, SQL, bindings, and
addresses outside the public internet unless an administrator allowed them."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

import anyio
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.sandbox.db.conftest import Postgres
from tests.sandbox.db.helpers import LOCAL, local, refused, run
from tests.support.mysql import MysqlServer
from toolkeep.sandbox.db import DbPolicy, db_outcome
from toolkeep.sandbox.db.target import parse_connection
from toolkeep.sandbox.http import IPAddress

pytestmark = pytest.mark.anyio

PASSWORD = "s3cret-Pa55"


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection attempt of either driver (psycopg, or the socket PyMySQL is given)."""
    seen: list[str] = []
    real_pg = psycopg.AsyncConnection.connect
    real_socket = socket.create_connection

    async def pg_spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(f"postgres {conninfo_to_dict(args[0]).get('hostaddr')}")
        return await real_pg(*args, **kwargs)

    def socket_spy(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append(f"mysql {address[0]}")
        return real_socket(address, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", pg_spy)
    monkeypatch.setattr(socket, "create_connection", socket_spy)
    return seen


def resolver(answers: dict[str, list[str]]) -> Any:
    async def resolve(host: str) -> Sequence[IPAddress]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(a) for a in answers[host]]

    return resolve


@pytest.mark.postgres
async def test_a_loopback_database_is_refused_without_an_allow_list_before_connecting(
    pg: Postgres, connects: list[str]
) -> None:
    error = await refused("postgres", pg.url(), "SELECT 1", policy=DbPolicy())
    assert error.code == "address_blocked"
    assert error.message.startswith("127.0.0.1 is a loopback address")
    assert connects == []
    assert (await run("postgres", pg.url(), "SELECT 1 AS one")).rows == [{"one": 1}]
    assert connects == ["postgres 127.0.0.1"]


async def test_a_loopback_mysql_database_is_refused_without_an_allow_list_before_connecting(
    maria: MysqlServer, connects: list[str]
) -> None:
    error = await refused("mysql", maria.url, "SELECT 1", policy=DbPolicy())
    assert error.code == "address_blocked"
    assert connects == []
    assert (await run("mysql", maria.url, "SELECT 1 AS one")).rows == [{"one": 1}]
    assert connects == ["mysql 127.0.0.1"]


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("169.254.169.254", "cloud metadata"),
        ("10.1.2.3", "private"),
        ("[::1]", "loopback"),
        ("0x7f000001", "loopback"),
        ("[::ffff:192.168.0.1]", "private"),
    ],
)
async def test_internal_addresses_in_any_spelling_are_refused(
    host: str, kind: str, connects: list[str]
) -> None:
    connection = f"postgres://u:{PASSWORD}@{host}:5432/db"
    error = await refused("postgres", connection, "SELECT 1", policy=DbPolicy())
    assert error.code == "address_blocked"
    assert kind in error.message
    assert connects == []


async def test_a_name_resolving_to_a_private_address_is_refused_without_naming_the_address(
    connects: list[str],
) -> None:
    policy = DbPolicy(resolver=resolver({"db.internal.example": ["10.9.8.7"]}))
    error = await refused("mysql", "mysql://u:p@db.internal.example/x", "SELECT 1", policy=policy)
    assert error.code == "address_blocked"
    assert "'db.internal.example' resolves to a private address" in error.message
    assert "10.9.8.7" not in error.message
    assert connects == []


async def test_one_internal_answer_among_public_ones_blocks_the_whole_name(
    connects: list[str],
) -> None:
    policy = DbPolicy(resolver=resolver({"db.example.com": ["93.184.216.34", "127.0.0.1"]}))
    error = await refused("postgres", "postgres://u:p@db.example.com/x", "SELECT 1", policy=policy)
    assert error.code == "address_blocked"
    assert connects == []


async def test_an_unknown_host_is_a_connect_failure() -> None:
    policy = DbPolicy(resolver=resolver({}))
    error = await refused("postgres", "postgres://u:p@nowhere.example/x", "SELECT 1", policy=policy)
    assert (error.code, error.message) == (
        "connect_failed",
        "Could not resolve host 'nowhere.example'",
    )


@pytest.mark.parametrize(
    ("db_type", "connection", "problem"),
    [
        ("postgres", f"postgres://u:{PASSWORD}@/db", "has no host"),
        ("postgres", f"postgres://u:{PASSWORD}@h1,h2/db", "several hosts"),
        ("postgres", f"postgres://:{PASSWORD}@db.example.com/db", "must name a user"),
        ("postgres", f"postgres://u:{PASSWORD}@db.example.com:99999/db", "is not a valid URL"),
        ("postgres", f"mysql://u:{PASSWORD}@db.example.com/db", "but type is 'postgres'"),
        ("mysql", f"http://u:{PASSWORD}@db.example.com/db", "must start with"),
        ("postgres", f"postgres://u:{PASSWORD}@db.example.com/a/b", "one path segment"),
        ("postgres", f"postgres://u:{PASSWORD}@db.example.com/db?sslmode=wat", "sslmode must be"),
        ("postgres", f"postgres://u:{PASSWORD}@db.example.com/db?passfile=/etc/x", "Unsupported"),
        ("postgres", f"postgres://u:{PASSWORD}@db.example.com/db#frag", "contains '#'"),
        ("postgres", f"postgres://u:{PASSWORD}@%2Ftmp/db", "invalid host name"),
        ("postgres", f"postgres://u:{PASSWORD}@db.example.com/d b", "spaces"),
        ("mysql", f"mysql://u:{PASSWORD}%00@db.example.com/db", "NUL"),
    ],
)
async def test_unusable_connection_strings_are_refused_without_repeating_the_password(
    db_type: str, connection: str, problem: str, connects: list[str]
) -> None:
    error = await refused(db_type, connection, "SELECT 1")
    assert error.code == "connection_invalid"
    assert problem in error.message
    assert PASSWORD not in error.message
    assert connects == []


def test_a_connection_string_is_split_into_decoded_fields() -> None:
    target = parse_connection(
        "mysql", "MariaDB://us%40er:p%2Fw%3Ad@[2001:db8::1]:3307/my%20db?ssl-mode=VERIFY_IDENTITY"
    )
    assert (target.host, target.port, target.user, target.password, target.database) == (
        "2001:db8::1",
        3307,
        "us@er",
        "p/w:d",
        "my db",
    )
    assert target.sslmode == "verify-full"
    assert target.netloc == "[2001:db8::1]:3307"
    assert "p/w:d" not in repr(target)


async def test_an_unknown_database_type_is_refused() -> None:
    error = await refused("sqlite", "postgres://u:p@db.example.com/x", "SELECT 1")
    assert error.code == "db_type_invalid"


@pytest.mark.parametrize(
    ("sql", "bindings", "problem"),
    [
        ("", [], "non-empty"),
        ("SELECT ?", [{"a": 1}], "Binding 1 must be a string, number, boolean or null"),
        ("SELECT ?", [[1, 2]], "JSON.stringify"),
        ("SELECT ?", [float("nan")], "not a finite number"),
        ("SELECT ?", ["a\x00b"], "NUL"),
        ("SELECT 1\x00; DROP TABLE x", [], "NUL"),
        ("SELECT ?", ["\ud800"], "lone surrogate"),
        ("SELECT ?", [], "1 placeholder (?) but 0 bindings were given"),
    ],
)
async def test_sql_and_bindings_are_checked_before_connecting(
    sql: str, bindings: list[Any], problem: str, connects: list[str]
) -> None:
    error = await refused("postgres", "postgres://u:p@127.0.0.1/x", sql, bindings)
    assert error.code == "query_invalid"
    assert problem in error.message
    assert connects == []


async def test_too_much_sql_or_too_many_bindings_are_refused() -> None:
    policy = local(max_sql_chars=10, max_bindings=2)
    long_sql = await refused(
        "postgres", "postgres://u:p@127.0.0.1/x", "SELECT 12345678", [], policy
    )
    assert "longer than 10 characters" in long_sql.message
    many = await refused("postgres", "postgres://u:p@127.0.0.1/x", "SELECT 1", [1, 2, 3], policy)
    assert "At most 2 bindings" in many.message


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("SELECT 1", "request_invalid"),
        ({"type": 1, "connection": "x", "sql": "SELECT 1"}, "db_type_invalid"),
        ({"type": "postgres", "connection": None, "sql": "SELECT 1"}, "connection_invalid"),
        ({"type": "postgres", "connection": "x", "sql": 5}, "query_invalid"),
        (
            {"type": "postgres", "connection": "x", "sql": "SELECT 1", "bindings": {}},
            "query_invalid",
        ),
    ],
)
async def test_a_malformed_host_call_payload_is_an_error_outcome(payload: Any, code: str) -> None:
    with anyio.fail_after(5):
        outcome = await db_outcome(payload, LOCAL)
    assert outcome["error"]["code"] == code


@pytest.mark.postgres
async def test_a_host_call_outcome_carries_the_result_as_plain_json(pg: Postgres) -> None:
    payload = {
        "type": "postgres",
        "connection": pg.url(),
        "sql": "SELECT ? AS a",
        "bindings": ["x"],
    }
    with anyio.fail_after(30):
        outcome = await db_outcome(payload, LOCAL)
    assert outcome == {
        "ok": {
            "rows": [{"a": "x"}],
            "row_count": 1,
            "truncated": False,
            "fields": ["a"],
            "last_insert_id": None,
        }
    }
