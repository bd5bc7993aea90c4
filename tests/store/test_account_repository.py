"""``UserRepository`` and ``TokenRepository`` against a real database, on both backends."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.store import factories
from toolkeep.accounts.errors import EmailTaken
from toolkeep.accounts.models import AccessToken
from toolkeep.accounts.repository import TokenRepository, UserRepository, emails_by_id
from toolkeep.crypto import tokens
from toolkeep.store.database import Database

T0 = factories.T0


def _token(user_id: uuid.UUID, label: str = "cli", **fields: Any) -> AccessToken:
    minted = tokens.mint("tkpat")
    values: dict[str, Any] = {"created_at": T0} | fields
    return AccessToken(kid=minted.kid, user_id=user_id, label=label, last4=minted.last4, **values)


def test_a_user_reads_back_by_id_and_by_email(db: Database) -> None:
    admin = factories.user("root@example.com", is_admin=True)
    with db.transaction() as conn:
        UserRepository(conn).insert(admin, "$argon2id$v=19$stored")

    with db.read() as conn:
        repo = UserRepository(conn)
        assert repo.get(admin.id) == admin
        assert repo.get_by_email("root@example.com") == admin
        assert repo.password_hash(admin.id) == "$argon2id$v=19$stored"
        assert repo.get_by_email("nobody@example.com") is None


def test_users_are_listed_and_counted(db: Database) -> None:
    with db.transaction() as conn:
        alice = factories.add_user(conn, "alice@example.com")
        bob = factories.add_user(conn, "bob@example.com")

    with db.read() as conn:
        repo = UserRepository(conn)
        assert repo.count() == 2
        assert sorted(repo.list_all(), key=lambda u: u.email) == [alice, bob]
        assert emails_by_id(conn, {alice.id, bob.id}) == {
            alice.id: "alice@example.com",
            bob.id: "bob@example.com",
        }
        assert emails_by_id(conn, set()) == {}


def test_a_duplicate_email_raises_email_taken_and_the_transaction_goes_on(db: Database) -> None:
    with db.transaction() as conn:
        first = factories.add_user(conn, "same@example.com")

    with db.transaction() as conn:
        with pytest.raises(EmailTaken) as caught:
            UserRepository(conn).insert(factories.user("same@example.com"), "other-hash")
        second = factories.add_user(conn, "different@example.com")

    assert caught.value.code == "email_taken"
    with db.read() as conn:
        repo = UserRepository(conn)
        assert repo.count() == 2
        assert repo.get_by_email("same@example.com") == first
        assert repo.password_hash(first.id) == "argon2-hash-placeholder"
        assert repo.get(second.id) == second


def test_a_token_reads_back_with_its_digest_and_pepper_version(db: Database) -> None:
    with db.transaction() as conn:
        user = factories.add_user(conn)
        token = _token(user.id, expires_at=T0 + timedelta(days=90))
        TokenRepository(conn).insert(token, digest=factories.DIGEST, pepper_version=2)

    with db.read() as conn:
        repo = TokenRepository(conn)
        found = repo.get_with_digest(token.kid)
        assert repo.get_with_digest("0000000000000000") is None

    assert found is not None
    loaded, digest, version = found
    assert (loaded, bytes(digest), version) == (token, factories.DIGEST, 2)


def test_tokens_are_listed_per_user_oldest_first(db: Database) -> None:
    with db.transaction() as conn:
        alice = factories.add_user(conn, "alice@example.com")
        bob = factories.add_user(conn, "bob@example.com")
        repo = TokenRepository(conn)
        newer = _token(alice.id, "newer", created_at=T0 + timedelta(hours=1))
        older = _token(alice.id, "older")
        for token in (newer, older, _token(bob.id, "bobs")):
            repo.insert(token, digest=factories.DIGEST, pepper_version=1)

    with db.read() as conn:
        assert TokenRepository(conn).list_for_user(alice.id) == [older, newer]


def test_revoking_a_token_twice_keeps_the_first_revocation_time(db: Database) -> None:
    with db.transaction() as conn:
        user = factories.add_user(conn)
        token = _token(user.id)
        TokenRepository(conn).insert(token, digest=factories.DIGEST, pepper_version=1)

    with db.transaction() as conn:
        TokenRepository(conn).revoke(token.kid, T0 + timedelta(hours=1))
    with db.transaction() as conn:
        TokenRepository(conn).revoke(token.kid, T0 + timedelta(hours=2))

    with db.read() as conn:
        found = TokenRepository(conn).get_with_digest(token.kid)
    assert found is not None
    assert found[0].revoked_at == T0 + timedelta(hours=1)


def test_touching_a_token_records_its_last_use(db: Database) -> None:
    with db.transaction() as conn:
        user = factories.add_user(conn)
        token = _token(user.id)
        TokenRepository(conn).insert(token, digest=factories.DIGEST, pepper_version=1)

    with db.transaction() as conn:
        TokenRepository(conn).touch(token.kid, T0 + timedelta(minutes=3))

    with db.read() as conn:
        found = TokenRepository(conn).get_with_digest(token.kid)
    assert found is not None
    assert found[0].last_used_at == T0 + timedelta(minutes=3)
