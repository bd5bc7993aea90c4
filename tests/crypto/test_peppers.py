"""Versioned peppers: the file format, HMAC-SHA256 digests, verification and rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from toolkeep.crypto.peppers import PEPPER_BYTES, HmacSha256, Peppers
from toolkeep.errors import ConfigurationError

P1 = bytes(range(32))
P2 = bytes(range(100, 132))
KID = "0123456789ABCDEF"
SECRET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
# HMAC-SHA256(P1, kid || 0x00 || secret), computed independently. Changing the digest
# construction would invalidate every stored key and token.
GOLDEN_DIGEST = bytes.fromhex("3d194150ea450bcf41988528a89b4591168604e9409d5827dd568c50c23737fe")


def _line(version: int, pepper: bytes) -> str:
    return f"{version}:{base64.b64encode(pepper).decode()}"


def test_the_digest_is_hmac_sha256_of_kid_nul_secret() -> None:
    peppers = Peppers.parse(_line(1, P1))

    digest = peppers.digest(1, KID, SECRET)

    assert digest == GOLDEN_DIGEST
    assert digest == hmac.new(P1, f"{KID}\x00{SECRET}".encode(), hashlib.sha256).digest()


@pytest.mark.parametrize("length", [32, 63, 64, 65, 200])
def test_the_precomputed_hmac_matches_the_standard_library_for_any_pepper_length(
    length: int,
) -> None:
    pepper = bytes((i * 7 + 3) % 256 for i in range(length))
    keyed = HmacSha256(pepper)

    for message in (b"", b"kid\x00secret", bytes(range(256)) * 3):
        assert keyed.digest(message) == hmac.digest(pepper, message, "sha256")
    assert keyed.digest(b"a") == keyed.digest(b"a")  # the kept states are copied, not consumed


def test_the_right_secret_verifies_and_anything_else_does_not() -> None:
    peppers = Peppers({1: P1})
    stored = peppers.digest(1, KID, SECRET)

    assert peppers.verify(1, KID, SECRET, stored)
    assert not peppers.verify(1, KID, SECRET[:-1] + "R", stored)
    assert not peppers.verify(1, "0123456789ABCDEG", SECRET, stored)
    assert not peppers.verify(1, KID, SECRET, b"\x00" * 32)
    assert not peppers.verify(1, KID, SECRET, b"")


def test_the_kid_secret_boundary_is_unambiguous() -> None:
    peppers = Peppers({1: P1})
    assert peppers.digest(1, "ab", "c") != peppers.digest(1, "a", "bc")


def test_comments_and_blank_lines_are_ignored_and_the_highest_version_is_current() -> None:
    text = f"# Toolkeep token pepper\n\n{_line(2, P2)}\n  {_line(1, P1)}  \n# trailing\n"

    peppers = Peppers.parse(text)

    assert peppers.current == 2
    assert peppers.digest(1, KID, SECRET) == GOLDEN_DIGEST


def test_a_digest_made_with_an_old_version_still_verifies_after_rotation() -> None:
    before = Peppers.parse(_line(1, P1))
    stored = before.digest(before.current, KID, SECRET)

    after = Peppers.parse(f"{_line(1, P1)}\n{_line(2, P2)}\n")

    assert after.current == 2
    assert after.verify(1, KID, SECRET, stored)
    assert after.digest(2, KID, SECRET) != stored
    assert not after.verify(2, KID, SECRET, stored)


def test_a_digest_of_a_version_that_is_not_loaded_is_a_configuration_error() -> None:
    peppers = Peppers({1: P1})

    with pytest.raises(ConfigurationError, match="Pepper version 3 is not loaded"):
        peppers.digest(3, KID, SECRET)


def test_burning_the_time_of_a_check_for_an_unknown_kid_does_not_raise() -> None:
    Peppers({1: P1}).burn(KID, SECRET)


def test_a_generated_file_parses_to_one_fresh_32_byte_pepper() -> None:
    first, second = Peppers.generate_text(), Peppers.generate_text()

    assert first.startswith("#")
    assert first != second
    peppers = Peppers.parse(first)
    assert peppers.current == 1
    assert Peppers.parse(second).digest(1, KID, SECRET) != peppers.digest(1, KID, SECRET)
    encoded = first.splitlines()[-1].split(":", 1)[1]
    assert len(base64.b64decode(encoded)) == PEPPER_BYTES


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The pepper file holds no pepper."),
        ("# only a comment\n\n", "The pepper file holds no pepper."),
        ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "line 1 is not '<version>:<base64>'"),
        ("# c\none:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "line 2 is not"),
        ("1:not base64!", "line 1 is not '<version>:<base64>'"),
        ("1:" + base64.b64encode(b"x" * 31).decode(), "Pepper version 1 is shorter than 32 bytes"),
    ],
    ids=["empty", "comments-only", "no-version", "bad-version", "bad-base64", "short"],
)
def test_a_bad_pepper_file_is_refused_with_a_message_that_says_why(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        Peppers.parse(text)

    assert caught.value.code == "configuration_error"
    assert "AAECAwQF" not in caught.value.message  # never echoes key material


def test_an_empty_version_map_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="holds no pepper"):
        Peppers({})
