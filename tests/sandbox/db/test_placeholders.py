"""``?`` placeholders: found only where the server sees code, translated per driver."""

from __future__ import annotations

import pytest

from toolkeep.sandbox.db import DbError
from toolkeep.sandbox.db.placeholders import check_count, translate


def pg(sql: str) -> str:
    return translate(sql, "postgres", for_binding=True).sql


def my(sql: str, *, backslashes: bool = True, binding: bool = True) -> str:
    return translate(sql, "mysql", for_binding=binding, backslash_escapes=backslashes).sql


def test_postgres_placeholders_are_numbered_in_order() -> None:
    assert pg("SELECT * FROM t WHERE a = ? AND b > ?") == "SELECT * FROM t WHERE a = $1 AND b > $2"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'is it ?' FROM t",
        "SELECT 'it''s ?' FROM t",
        'SELECT "odd?name" FROM t',
        "SELECT 1 -- why?\n",
        "SELECT /* a ? /* nested ? */ still ? */ 1",
        "SELECT $$ dollar ? $$",
        "SELECT $tag$ it's ? $tag$",
        "SELECT E'escaped \\' quote ?'",
    ],
)
def test_a_question_mark_inside_postgres_strings_names_or_comments_is_text(sql: str) -> None:
    translated = translate(sql, "postgres", for_binding=True)
    assert (translated.sql, translated.placeholders) == (sql, 0)


def test_a_doubled_question_mark_is_a_literal_question_mark_for_jsonb_operators() -> None:
    assert pg("SELECT data ?? 'k', data ??| array['a'] FROM t WHERE id = ?") == (
        "SELECT data ? 'k', data ?| array['a'] FROM t WHERE id = $1"
    )


def test_a_dollar_inside_a_postgres_identifier_is_not_a_dollar_quote() -> None:
    assert pg("SELECT a$b FROM t WHERE x = ? AND y = $$?$$") == (
        "SELECT a$b FROM t WHERE x = $1 AND y = $$?$$"
    )


def test_native_postgres_placeholders_pass_through_and_are_counted_by_the_server() -> None:
    translated = translate("SELECT $1::int + $2", "postgres", for_binding=True)
    assert translated.sql == "SELECT $1::int + $2"
    assert translated.native_placeholders
    check_count(translated, 2)  # the server checks $n itself


def test_mixing_question_marks_and_dollar_placeholders_is_refused() -> None:
    with pytest.raises(DbError) as caught:
        translate("SELECT ? + $1", "postgres", for_binding=True)
    assert caught.value.code == "query_invalid"


def test_mysql_placeholders_become_percent_s_and_every_percent_is_doubled() -> None:
    assert my("SELECT * FROM t WHERE name LIKE '50%' AND a = ? AND b LIKE ?") == (
        "SELECT * FROM t WHERE name LIKE '50%%' AND a = %s AND b LIKE %s"
    )


def test_without_bindings_mysql_sql_keeps_its_percent_signs() -> None:
    assert my("SELECT '100%' ??", binding=False) == "SELECT '100%' ?"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'a ?' FROM t",
        "SELECT 'a \\' ?' FROM t",
        'SELECT "a ?" FROM t',
        "SELECT `a?b` FROM t",
        "SELECT 1 # why?\n",
        "SELECT 1 -- why?\n",
        "SELECT /* why? */ 1",
    ],
)
def test_a_question_mark_inside_mysql_strings_names_or_comments_is_text(sql: str) -> None:
    translated = translate(sql, "mysql", for_binding=False)
    assert (translated.sql, translated.placeholders) == (sql, 0)


def test_two_dashes_without_a_space_are_not_a_mysql_comment() -> None:
    assert translate("SELECT 1--?", "mysql", for_binding=True).placeholders == 1


def test_an_executable_mysql_comment_is_code() -> None:
    assert my("SELECT /*! ? */ 1") == "SELECT /*! %s */ 1"


def test_without_backslash_escapes_a_backslash_ends_nothing_in_a_mysql_string() -> None:
    sql = "SELECT 'a\\' , ?"
    assert translate(sql, "mysql", for_binding=True).placeholders == 0  # \' escapes the quote
    assert my(sql, backslashes=False) == "SELECT 'a\\' , %s"


def test_the_bindings_must_match_the_placeholders() -> None:
    with pytest.raises(DbError) as caught:
        check_count(translate("SELECT ?, ?", "postgres", for_binding=True), 1)
    assert caught.value.code == "query_invalid"
    assert caught.value.message == "The SQL has 2 placeholders (?) but 1 binding was given"


def test_an_unterminated_string_with_bindings_is_refused() -> None:
    translated = translate("SELECT 'oops, ?", "mysql", for_binding=True)
    with pytest.raises(DbError) as caught:
        check_count(translated, 1)
    assert "unterminated" in caught.value.message
