"""One placeholder syntax for tool code, ``?``, translated to each driver's own.

Tool code writes ``SELECT * FROM users WHERE email = ? AND age > ?`` with bindings
``["a@b.c", 30]``. A ``?`` inside a string literal, a quoted name or a comment is text, not
a placeholder; ``??`` outside them stands for a literal ``?`` (PostgreSQL's jsonb operators:
``data ?? 'key'``, ``data ??| array['a']``).

- PostgreSQL: ``?`` becomes ``$1``, ``$2``, … and the values travel separately in the
  extended protocol (server-side binding). SQL without ``?`` is sent as it is, so tool code
  may also use PostgreSQL's own ``$1`` placeholders; mixing both styles is refused.
- MySQL: ``?`` becomes ``%s`` and every ``%`` becomes ``%%``, the syntax of PyMySQL, which
  escapes each value for the session's current ``sql_mode`` (``NO_BACKSLASH_ESCAPES``
  included) and the connection's character set (always utf8mb4). The scanner follows the
  server's lexical rules closely (``--`` starts a comment only before a space or a control
  character, ``#`` comments, backslash escapes unless ``NO_BACKSLASH_ESCAPES``, executable
  ``/*! … */`` comments are code) so that a placeholder is only ever found where the server
  sees code; wherever the two could disagree, the scanner errs towards "inside a string",
  which can only make a query fail (a placeholder count mismatch), never move a value.

No value is ever put into SQL text here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkeep.sandbox.db.errors import DbError, DbErrorCode
from toolkeep.sandbox.db.target import Dialect

_PG_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")
_PG_PARAM = re.compile(r"\$[0-9]")


@dataclass(frozen=True, slots=True)
class Translated:
    """The SQL for the driver and how many ``?`` placeholders it had."""

    sql: str
    placeholders: int
    native_placeholders: bool = False  # PostgreSQL ``$n`` written by the tool itself
    unterminated: bool = False  # a string, quoted name or comment never closed


def _ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$" or ord(ch) > 127


def translate(
    sql: str, dialect: Dialect, *, for_binding: bool, backslash_escapes: bool = True
) -> Translated:
    """Translate ``?`` placeholders (and ``??``) for ``dialect``.

    ``for_binding``: the query will be sent with bindings (for MySQL, ``%`` is then escaped
    for PyMySQL's formatting). ``backslash_escapes``: MySQL only, false when the session's
    ``sql_mode`` has ``NO_BACKSLASH_ESCAPES``.
    """
    if dialect == "postgres":
        return _Scanner(sql, dialect, for_binding, backslash_escapes=False).postgres()
    return _Scanner(sql, dialect, for_binding, backslash_escapes).mysql()


class _Scanner:
    def __init__(self, sql: str, dialect: Dialect, for_binding: bool, backslash_escapes: bool):
        self.sql = sql
        self.dialect = dialect
        self.for_binding = for_binding
        self.backslash_escapes = backslash_escapes
        self.out: list[str] = []
        self.count = 0
        self.native = False
        self.unterminated = False

    def _result(self) -> Translated:
        return Translated("".join(self.out), self.count, self.native, self.unterminated)

    def _placeholder(self, i: int) -> int:
        """At a ``?``: a literal ``?`` for ``??``, else the next placeholder."""
        if self.sql.startswith("??", i):
            self.out.append("?")
            return i + 2
        self.count += 1
        self.out.append(f"${self.count}" if self.dialect == "postgres" else "%s")
        return i + 1

    def _copy(self, start: int, end: int) -> int:
        """Copy ``sql[start:end]`` as it is (MySQL: ``%`` doubled when formatting)."""
        text = self.sql[start:end]
        if self.dialect == "mysql" and self.for_binding:
            text = text.replace("%", "%%")
        self.out.append(text)
        return end

    def _quoted(self, i: int, quote: str, backslashes: bool) -> int:
        """From an opening quote to just past its closing one (doubled quotes stay inside)."""
        sql, j = self.sql, i + 1
        while j < len(sql):
            ch = sql[j]
            if backslashes and ch == "\\":
                j += 2
                continue
            if ch == quote:
                if sql.startswith(quote, j + 1):
                    j += 2
                    continue
                return self._copy(i, j + 1)
            j += 1
        self.unterminated = True
        return self._copy(i, len(sql))

    def _until(self, i: int, end_marker: str, skip: int) -> int:
        end = self.sql.find(end_marker, i + skip)
        if end < 0:
            if end_marker != "\n":
                self.unterminated = True
            return self._copy(i, len(self.sql))
        return self._copy(i, end + len(end_marker))

    # --- PostgreSQL ----------------------------------------------------------------------

    def postgres(self) -> Translated:
        sql, i, n = self.sql, 0, len(self.sql)
        while i < n:
            ch = sql[i]
            if ch == "?":
                i = self._placeholder(i)
            elif ch == "'":
                extended = i > 0 and sql[i - 1] in "eE" and not (i > 1 and _ident_char(sql[i - 2]))
                i = self._quoted(i, "'", backslashes=extended)
            elif ch == '"':
                i = self._quoted(i, '"', backslashes=False)
            elif ch == "-" and sql.startswith("--", i):
                i = self._until(i, "\n", 2)
            elif ch == "/" and sql.startswith("/*", i):
                i = self._pg_block_comment(i)
            elif ch == "$" and not (i > 0 and _ident_char(sql[i - 1])):
                i = self._pg_dollar(i)
            else:
                j = i + 1
                while j < n and sql[j] not in "?'\"-/$":
                    j += 1
                i = self._copy(i, j)
        if self.count and self.native:
            raise DbError(
                DbErrorCode.QUERY_INVALID,
                "The SQL mixes ? and $1-style placeholders; use one style",
            )
        return self._result()

    def _pg_block_comment(self, i: int) -> int:
        sql, depth, j = self.sql, 1, i + 2
        while j < len(sql):
            if sql.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif sql.startswith("*/", j):
                depth, j = depth - 1, j + 2
                if depth == 0:
                    return self._copy(i, j)
            else:
                j += 1
        self.unterminated = True
        return self._copy(i, len(sql))

    def _pg_dollar(self, i: int) -> int:
        if _PG_PARAM.match(self.sql, i):
            self.native = True
            return self._copy(i, i + 2)
        tag = _PG_DOLLAR_TAG.match(self.sql, i)
        if tag is None:
            return self._copy(i, i + 1)
        return self._until(i, tag.group(0), len(tag.group(0)))

    # --- MySQL / MariaDB -----------------------------------------------------------------

    def mysql(self) -> Translated:
        sql, i, n = self.sql, 0, len(self.sql)
        while i < n:
            ch = sql[i]
            if ch == "?":
                i = self._placeholder(i)
            elif ch in "'\"":
                i = self._quoted(i, ch, backslashes=self.backslash_escapes)
            elif ch == "`":
                i = self._quoted(i, "`", backslashes=False)
            elif ch == "#":
                i = self._until(i, "\n", 1)
            elif ch == "-" and sql.startswith("--", i) and (i + 2 >= n or sql[i + 2] <= " "):
                i = self._until(i, "\n", 2)
            elif ch == "/" and sql.startswith("/*", i):
                i = self._mysql_comment(i)
            else:
                j = i + 1
                while j < n and sql[j] not in "?'\"`#-/":
                    j += 1
                i = self._copy(i, j)
        return self._result()

    def _mysql_comment(self, i: int) -> int:
        if self.sql.startswith(("/*!", "/*M!"), i):  # executable comment: its body is code
            return self._copy(i, i + (3 if self.sql[i + 2] == "!" else 4))
        return self._until(i, "*/", 2)


def check_count(translated: Translated, bindings: int) -> None:
    """The bindings must match the ``?`` placeholders one to one (PostgreSQL checks its own
    ``$n`` placeholders itself)."""
    if bindings and translated.unterminated:
        raise DbError(
            DbErrorCode.QUERY_INVALID,
            "The SQL has an unterminated string, quoted name or comment",
        )
    if translated.native_placeholders or translated.placeholders == bindings:
        return
    count = translated.placeholders
    given = "1 binding was given" if bindings == 1 else f"{bindings} bindings were given"
    raise DbError(
        DbErrorCode.QUERY_INVALID,
        f"The SQL has {count} placeholder{'' if count == 1 else 's'} (?) but {given}",
    )
