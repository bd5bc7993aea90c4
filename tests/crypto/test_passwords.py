"""Passwords are hashed with argon2id and verified without raising."""

from __future__ import annotations

from toolkeep.crypto.passwords import hash_password, verify_password


def test_a_password_hash_is_argon2id_and_salted() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")

    assert first.startswith("$argon2id$")
    assert first != second
    assert "correct horse" not in first


def test_the_right_password_verifies_and_a_wrong_one_does_not() -> None:
    stored = hash_password("correct horse battery")

    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password(stored, "")


def test_a_corrupt_stored_hash_fails_verification_instead_of_raising() -> None:
    assert not verify_password("not-a-hash", "anything")
    assert not verify_password("$argon2id$v=19$m=65536,t=3,p=4$broken", "anything")
