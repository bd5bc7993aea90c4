"""Redact secret values and Toolkeep credentials from text and JSON-like structures.

A ``Redactor`` is built once per tool call from that server's ``env`` (name → value) and
applied to everything logged about the call: console lines, error messages, details. Every
occurrence of a value becomes ``[REDACTED:NAME]``; Toolkeep API keys (``tk_…``) and personal
access tokens (``tkpat_…``) are always redacted, as ``[REDACTED:api_key]``.

A value is also found in the forms it takes on its way into a log: escaped inside a JSON
string (``JSON.stringify``, ``json.dumps``, ASCII-only or not) and percent-encoded in a URL
(``encodeURIComponent``, ``urlencode``). Only whole values are found: a log that keeps only
part of a value (a truncated line) shows that part.

Values shorter than ``MIN_LENGTH`` (3) characters are not redacted. Replacing every ``a``
or ``42`` in a log would destroy the text and would not even hide the value: the markers
sit exactly where the value stood, so the surrounding text spells it out. A one- or
two-character secret guards nothing anyway.

Overlapping occurrences (one value inside another, two values sharing characters, a key
inside a value) merge into one marker naming each secret involved, so no character of any
value survives.

Speed: the common case, no match, is one ``search`` with one compiled regex: the first
``HEAD`` characters of every form, as a trie (each position tries at most one branch per
distinct first character), alternated with the credential pattern. A hit is then confirmed
with ``str.startswith`` on the whole form, so a 64 KiB value costs no regex of 64 KiB.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import Any
from urllib.parse import quote, quote_plus

MIN_LENGTH = 3
HEAD = 16
API_KEY_LABEL = "api_key"
UNNAMED_LABEL = "secret"

API_KEY_PATTERN = r"tk(?:pat)?_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}"  # API keys and PATs
API_KEY_RE = re.compile(API_KEY_PATTERN)
API_KEY_LENGTH = 6 + 16 + 1 + 49  # the longer of the two: tkpat_
_JS_URI_SAFE = "-_.!~*'()"  # what encodeURIComponent leaves as is


def forms_of(value: str) -> list[str]:
    """The value as written, JSON-escaped and percent-encoded (distinct forms only)."""
    forms = [
        value,
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
        quote(value, safe=_JS_URI_SAFE),
        quote_plus(value, safe=""),
    ]
    return list(dict.fromkeys(forms))


class Redactor:
    """Redacts ``env``'s values (a mapping of name → value, or bare values) and credentials.

    Bare values (any iterable of strings that is not a mapping) are labelled
    ``[REDACTED:secret]``. When two names hold the same value, the first in name order
    labels it.
    """

    __slots__ = ("_by_head", "_labels", "_scan", "longest")

    def __init__(self, env: Mapping[str, str] | Iterable[str] = ()) -> None:
        if isinstance(env, str):
            raise TypeError("Redactor takes a mapping of name -> value or several values.")
        if isinstance(env, Mapping):
            pairs = sorted(env.items())
        else:
            pairs = [(UNNAMED_LABEL, value) for value in env]
        labels: dict[str, str] = {}  # form -> name
        for name, value in pairs:
            if len(value) >= MIN_LENGTH:
                for form in forms_of(value):
                    labels.setdefault(form, name)
        by_head: dict[str, list[str]] = {}
        for form in labels:
            by_head.setdefault(form[:HEAD], []).append(form)
        for forms in by_head.values():
            forms.sort(key=len, reverse=True)
        self._labels = labels
        self._by_head = by_head
        # The longest text this redactor replaces, credentials aside.
        self.longest = max((len(form) for form in labels), default=0)
        self._scan = re.compile("|".join([*_trie_branches(by_head), API_KEY_PATTERN]))

    def redact(self, text: str) -> str:
        hit = self._find(text, 0)
        if hit is None:
            return text
        out: list[str] = []
        done = 0  # text[:done] is already in out
        while hit is not None:
            region_start, end, label = hit
            names = [label]
            start = region_start
            # Look again one past each start, so an occurrence starting inside this one
            # (an overlap) is found and merged into it.
            while (hit := self._find(text, start + 1)) is not None and hit[0] < end:
                start, end = hit[0], max(end, hit[1])
                if hit[2] not in names:
                    names.append(hit[2])
            out.append(text[done:region_start])
            out.append(f"[REDACTED:{','.join(names)}]")
            done = end
        out.append(text[done:])
        return "".join(out)

    def redact_capped(self, text: str, limit: int) -> str:
        """The redacted text cut to ``limit`` characters, for bounded logs (console output).

        Only a window of ``limit`` plus the longest value is redacted, so the cost follows the
        limit, not the text. Cutting after redacting never leaves half a value: one starting
        before ``limit`` ends inside the window; one starting later is cut away.
        """
        window = limit + max(self.longest, API_KEY_LENGTH)
        return self.redact(text[:window])[:limit]

    def redact_json(self, obj: Any) -> Any:
        """A copy of a JSON-like structure with every string (keys too) redacted.

        A number whose digits hold a value becomes the redacted string; other scalars stay.
        """
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, dict):
            return {self.redact_json(k): self.redact_json(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.redact_json(item) for item in obj]
        if isinstance(obj, int | float) and not isinstance(obj, bool):
            text = json.dumps(obj)
            redacted = self.redact(text)
            return obj if redacted == text else redacted
        return obj

    def _find(self, text: str, pos: int) -> tuple[int, int, str] | None:
        """The leftmost occurrence at or after ``pos``: (start, end, label), the longest there."""
        while (match := self._scan.search(text, pos)) is not None:
            start = match.start()
            found = self._longest_at(text, start, min(len(match.group()), HEAD))
            if found is not None:
                return start, found[0], found[1]
            pos = start + 1  # a head without its whole value
        return None

    def _longest_at(self, text: str, start: int, size: int) -> tuple[int, str] | None:
        """The longest occurrence at ``start``; ``size``: the longest head matching there."""
        best: tuple[int, str] | None = None
        if text.startswith("tk", start) and (key := API_KEY_RE.match(text, start)):
            best = (key.end(), API_KEY_LABEL)
        # A head shorter than HEAD is a whole form, so the groups of shorter heads hold
        # shorter forms: the first form found, from the longest head down, is the longest.
        for head_size in range(size, MIN_LENGTH - 1, -1):
            for form in self._by_head.get(text[start : start + head_size], ()):
                if text.startswith(form, start):
                    end = start + len(form)
                    if best is None or end >= best[0]:  # a secret's name beats "api_key"
                        best = (end, self._labels[form])
                    return best
        return best


def _trie_branches(words: Iterable[str]) -> list[str]:
    """Many literals as one alternation sharing prefixes; it matches the longest it can.

    The branches are returned for the top level of the pattern: alternatives that each
    start with a literal character let ``re`` skip positions by their first character.
    """
    return _branches(sorted(set(words)), 0)


def _branches(words: list[str], depth: int) -> list[str]:
    """``words`` sorted, sharing their first ``depth`` characters, each longer than that."""
    out = []
    for _, grouped in groupby(words, key=lambda word: word[depth]):
        group = list(grouped)
        prefix = _common_prefix(group[0], group[-1])  # sorted: first and last differ most
        longer = [word for word in group if len(word) > len(prefix)]
        tails = _branches(longer, len(prefix))
        body = "" if not tails else tails[0] if len(tails) == 1 else f"(?:{'|'.join(tails)})"
        if body and len(longer) < len(group):
            body = f"(?:{body})?"  # greedy: the longer word first
        out.append(re.escape(prefix[depth:]) + body)
    return out


def _common_prefix(a: str, b: str) -> str:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return a[:size]


ALWAYS = Redactor()
"""Credentials only: for text where no server's secrets are in play (every log line)."""
