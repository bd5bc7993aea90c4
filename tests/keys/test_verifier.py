"""The per-request key check: cost, and what it reveals."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from toolkeep.actors import Actor
from toolkeep.context import AppContext
from toolkeep.crypto import tokens
from toolkeep.keys.verifier import Outcome
from toolkeep.servers.models import SecurityMode


@contextmanager
def counting_queries(ctx: AppContext) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(ctx.db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", record)


def two_servers(ctx: AppContext) -> tuple[str, str]:
    user = ctx.accounts.create_user("owner@example.com", "correct horse battery")
    actor = Actor(user_id=user.id, name=user.email)
    first = ctx.servers.create(actor, name="One", subdomain="one-srv")
    second = ctx.servers.create(actor, name="Two", subdomain="two-srv")
    assert first.minted_key
    assert second.minted_key
    return first.minted_key.plaintext, second.minted_key.plaintext


def corrupt_crc(key: str) -> str:
    last = "A" if key[-1] != "A" else "B"
    return key[:-1] + last


def test_a_malformed_key_is_rejected_without_any_database_read(ctx: AppContext) -> None:
    key, _ = two_servers(ctx)
    bad = [corrupt_crc(key), key[:-1], key + "x", "tk_" + key[3:].lower(), "", "Bearer " + key]
    with counting_queries(ctx) as statements:
        for value in bad:
            server, verdict = ctx.verifier.verify("one-srv", value)
            assert (server, verdict.outcome) == (None, Outcome.MALFORMED)
    assert statements == []


def test_a_valid_key_costs_exactly_one_query(ctx: AppContext) -> None:
    key, _ = two_servers(ctx)
    with counting_queries(ctx) as statements:
        server, verdict = ctx.verifier.verify("one-srv", key)
    assert verdict.outcome is Outcome.VALID
    assert server is not None
    assert server.security_mode is SecurityMode.API_KEY
    assert len(statements) == 1


def test_unknown_kid_wrong_secret_and_other_servers_key_are_indistinguishable(
    ctx: AppContext,
) -> None:
    key, other_server_key = two_servers(ctx)
    token = tokens.parse("tk", key)
    assert token is not None
    unknown_kid = tokens.Token("tk", "Z" * 16, token.secret).plaintext
    wrong_secret = tokens.Token("tk", token.kid, "0" * 43).plaintext
    verdicts = [
        ctx.verifier.verify("one-srv", candidate)[1]
        for candidate in (unknown_kid, wrong_secret, other_server_key)
    ]
    assert {v.outcome for v in verdicts} == {Outcome.INVALID}
    assert len(set(verdicts)) == 1  # no kid, time or reason that differs


def test_an_unknown_server_looks_like_an_invalid_key(ctx: AppContext) -> None:
    key, _ = two_servers(ctx)
    server, verdict = ctx.verifier.verify("no-such-srv", key)
    assert (server, verdict.outcome) == (None, Outcome.INVALID)


def test_revoked_status_is_revealed_only_with_the_right_secret(ctx: AppContext) -> None:
    key, _ = two_servers(ctx)
    token = tokens.parse("tk", key)
    assert token is not None
    admin = Actor(user_id=uuid.uuid4(), name="root", is_admin=True)
    ctx.keys.revoke(admin, "one-srv", token.kid)
    assert ctx.verifier.verify("one-srv", key)[1].outcome is Outcome.REVOKED
    forged = tokens.Token("tk", token.kid, "1" * 43).plaintext
    assert ctx.verifier.verify("one-srv", forged)[1].outcome is Outcome.INVALID
