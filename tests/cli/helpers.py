"""Helpers for the CLI tests: key patterns, parsing printed keys, a database snapshot."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from typer.testing import Result

from toolkeep.context import AppContext
from toolkeep.crypto import tokens
from toolkeep.keys.models import KEY_PREFIX
from toolkeep.settings import Settings
from toolkeep.store.database import Database
from toolkeep.store.tables import api_keys, metadata

KEY_RE = re.compile(r"tk_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}")
TOKEN_RE = re.compile(r"tkpat_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}")
PASSWORD = "correct horse battery staple"

Cli = Callable[..., Result]


def only_key(text: str) -> str:
    """The one API key printed in ``text``."""
    found = KEY_RE.findall(text)
    assert len(found) == 1, text
    key: str = found[0]
    return key


def kid_of(key: str) -> str:
    return key.split("_")[1]


def snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a failed command changed nothing."""
    db = Database(settings.resolved_database_url)
    try:
        with db.engine.connect() as conn:
            return {
                table.name: sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
                for table in metadata.sorted_tables
            }
    finally:
        db.dispose()


def key_matches_stored_digest(ctx: AppContext, key: str) -> bool:
    """True if ``key`` is well formed and its secret matches the digest stored for its kid."""
    token = tokens.parse(KEY_PREFIX, key)
    if token is None:
        return False
    with ctx.db.read() as conn:
        row = conn.execute(
            select(api_keys.c.digest, api_keys.c.pepper_version).where(api_keys.c.kid == token.kid)
        ).first()
    if row is None:
        return False
    return ctx.material.peppers.verify(row.pepper_version, token.kid, token.secret, row.digest)
