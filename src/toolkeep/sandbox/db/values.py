"""Database values → JSON values, the same way for both databases (documented for tools).

============================  ==============================================================
database value                 JSON
============================  ==============================================================
NULL, booleans, text           null, true/false, string
integers within ±(2^53-1)      number
larger integers                string (a JS number would silently lose digits)
floating point                 number; NaN and ±Infinity as the strings "NaN", "Infinity"
numeric / decimal              string, exactly as stored ("12.50"): no binary rounding
date, time, timestamp          ISO 8601 string ("2024-05-01", "13:45:00",
                               "2024-05-01T13:45:00+00:00"); values Python cannot represent
                               (PostgreSQL 'infinity', years beyond 9999, BC dates) as the
                               database prints them
interval / MySQL TIME          PostgreSQL's own text ("1 day 02:00:00"); MySQL TIME as
                               "[-]H:MM:SS[.ffffff]" (hours may exceed 24)
bytea, BLOB, BINARY, BIT       base64 string
uuid, inet, cidr, ...          string
PostgreSQL json/jsonb          the JSON value itself (object, array, ...)
PostgreSQL arrays              arrays, elements converted by these rules
anything else                  its text form
============================  ==============================================================

MySQL JSON columns arrive as strings (``JSON.parse`` them); MariaDB stores JSON as text.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import uuid
from collections.abc import Mapping
from typing import Any, Final, TypeAlias

JSON: TypeAlias = "bool | int | float | str | list[JSON] | dict[str, JSON] | None"

MAX_SAFE_INTEGER: Final = 2**53 - 1
MAX_DEPTH: Final = 100


class TooDeep(ValueError):
    """A JSON value from the database nested deeper than :data:`MAX_DEPTH`."""


def to_json(value: Any, depth: int = 0) -> JSON:
    """One database value as JSON (see the module's table)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, decimal.Decimal):
        return _decimal(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _duration(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        _check_depth(depth)
        return [to_json(item, depth + 1) for item in value]
    if isinstance(value, Mapping):
        _check_depth(depth)
        return {str(key): to_json(item, depth + 1) for key, item in value.items()}
    return str(value)


def _check_depth(depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise TooDeep(f"a value is nested more than {MAX_DEPTH} levels deep")


def _decimal(value: decimal.Decimal) -> str:
    if value.is_nan():
        return "NaN"
    if value.is_infinite():
        return "Infinity" if value > 0 else "-Infinity"
    text = str(value)
    if "E" in text:  # PostgreSQL and MySQL never print exponents; keep it that way
        text = format(value, "f")
    return text


def _duration(value: dt.timedelta) -> str:
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if micros < 0 else ""
    seconds, fraction = divmod(abs(micros), 1_000_000)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    text = f"{sign}{hours}:{minute:02d}:{second:02d}"
    return f"{text}.{fraction:06d}" if fraction else text
