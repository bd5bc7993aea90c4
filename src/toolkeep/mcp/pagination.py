"""Opaque ``tools/list`` cursors: the page resumes after the last name served."""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Sequence
from operator import attrgetter
from typing import Any, Final

from toolkeep.mcp.errors import invalid_params
from toolkeep.mcp.ports import ToolDescriptor

PAGE_SIZE: Final = 100
_PREFIX: Final = b"tk1:"
_by_name: Final = attrgetter("name")


def encode_cursor(last_name: str) -> str:
    """The cursor for the page after ``last_name``."""
    return base64.urlsafe_b64encode(_PREFIX + last_name.encode("utf-8")).decode("ascii")


def decode_cursor(cursor: Any) -> str:
    """The last name served before this cursor, or an in-band -32602."""
    if type(cursor) is not str:
        raise invalid_params("Invalid cursor: params.cursor must be a string")
    try:
        raw = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True)
        if raw.startswith(_PREFIX):
            return raw[len(_PREFIX) :].decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise invalid_params("Invalid cursor: pass back a nextCursor exactly as received")


def page_of(
    tools: Sequence[ToolDescriptor], cursor: Any
) -> tuple[list[ToolDescriptor], str | None]:
    """One page of ``tools`` in name order, plus the next cursor (None on the last page)."""
    ordered = sorted(tools, key=_by_name)
    start = 0 if cursor is None else bisect_right(ordered, decode_cursor(cursor), key=_by_name)
    end = start + PAGE_SIZE
    page = ordered[start:end]
    if end < len(ordered) and page:
        return page, encode_cursor(page[-1].name)
    return page, None
