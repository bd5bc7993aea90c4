"""The bearer-token format: ``<prefix>_<kid:16>_<secret:43><crc32:6>``, all base62."""

from __future__ import annotations

import re
import string

import pytest

from toolkeep.crypto import base62, tokens
from toolkeep.crypto.tokens import Token

KEY_RE = re.compile(r"tk_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}")
ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase

# Computed once with an independent implementation (zlib.crc32 + a hand-written base62).
# If this changes, every issued key and every secret-scanner rule breaks.
GOLDEN = Token(
    prefix="tk", kid="0123456789ABCDEF", secret="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
)
GOLDEN_PLAINTEXT = "tk_0123456789ABCDEF_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ1GvXLh"


@pytest.fixture(params=range(3), ids=lambda i: f"mint{i}")
def minted(request: pytest.FixtureRequest) -> Token:
    return tokens.mint("tk")


def test_a_minted_key_matches_the_published_regex_and_is_69_characters(minted: Token) -> None:
    assert KEY_RE.fullmatch(minted.plaintext)
    assert len(minted.plaintext) == 69


def test_a_minted_key_parses_back_to_the_same_token(minted: Token) -> None:
    assert tokens.parse("tk", minted.plaintext) == minted


def test_the_format_matches_the_golden_vector() -> None:
    assert GOLDEN.plaintext == GOLDEN_PLAINTEXT
    assert tokens.parse("tk", GOLDEN_PLAINTEXT) == GOLDEN


def test_kid_and_secret_are_fixed_width_base62(minted: Token) -> None:
    assert len(minted.kid) == tokens.KID_LEN == 16
    assert len(minted.secret) == tokens.SECRET_LEN == 43
    assert set(minted.kid + minted.secret) <= set(ALPHABET)
    assert minted.last4 == minted.secret[-4:]


def test_the_secret_carries_256_bits() -> None:
    assert 62**43 > 2**256 > 62**42


def test_minted_kids_and_secrets_do_not_repeat() -> None:
    batch = [tokens.mint("tk") for _ in range(500)]
    assert len({t.kid for t in batch}) == len(batch)
    assert len({t.secret for t in batch}) == len(batch)


def test_any_single_character_change_is_rejected(minted: Token) -> None:
    text = minted.plaintext
    for position, original in enumerate(text):
        for replacement in ALPHABET + "_-.":
            if replacement == original:
                continue
            changed = text[:position] + replacement + text[position + 1 :]
            assert tokens.parse("tk", changed) is None, (position, replacement)


def test_a_truncated_or_extended_key_is_rejected(minted: Token) -> None:
    text = minted.plaintext
    for end in range(len(text)):
        assert tokens.parse("tk", text[:end]) is None
        assert tokens.parse("tk", text[len(text) - end :]) is None
    for extra in ("0", "a", "_", " ", "\n"):
        assert tokens.parse("tk", text + extra) is None
        assert tokens.parse("tk", extra + text) is None


def test_a_key_with_another_prefix_is_rejected() -> None:
    api_key = tokens.mint("tk")
    access_token = tokens.mint("tkpat")

    assert tokens.parse("tkpat", api_key.plaintext) is None
    assert tokens.parse("tk", access_token.plaintext) is None
    assert tokens.parse("tkpat", access_token.plaintext) == access_token
    assert KEY_RE.search(access_token.plaintext) is None


def test_the_checksum_covers_the_prefix() -> None:
    """A valid ``tx_`` token relabelled ``tk_`` keeps its CRC, which no longer matches."""
    other = Token(prefix="tx", kid=GOLDEN.kid, secret=GOLDEN.secret).plaintext
    relabelled = "tk" + other[2:]

    assert relabelled[:-6] == GOLDEN_PLAINTEXT[:-6]
    assert tokens.parse("tk", relabelled) is None


def test_non_ascii_and_lookalike_input_is_rejected() -> None:
    lookalike = GOLDEN_PLAINTEXT.replace("0", "\u0030\u0301", 1)  # 0 + combining accent
    cyrillic = GOLDEN_PLAINTEXT.replace("a", "\u0430", 1)  # Cyrillic a, same length
    assert tokens.parse("tk", lookalike) is None
    assert tokens.parse("tk", cyrillic) is None
    assert tokens.parse("tk", "") is None


def test_the_masked_form_shows_the_kid_and_the_last_four_only() -> None:
    masked = tokens.mask("tk", GOLDEN.kid, GOLDEN.last4)

    assert masked == "tk_0123456789ABCDEF_…NOPQ"
    assert GOLDEN.secret[:-4] not in masked


def test_repr_never_shows_the_secret(minted: Token) -> None:
    shown = repr(minted) + str(minted)

    assert minted.secret not in shown
    assert minted.secret[-8:] not in shown
    assert minted.kid in shown


def test_base62_is_fixed_width_most_significant_digit_first() -> None:
    assert base62.encode(0, 3) == "000"
    assert base62.encode(61, 2) == "0z"
    assert base62.encode(62, 2) == "10"
    assert base62.decode("10") == 62
    for value in (0, 1, 61, 62, 2**32 - 1, 62**6 - 1):
        assert base62.decode(base62.encode(value, 6)) == value


def test_base62_refuses_a_value_that_does_not_fit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        base62.encode(62**6, 6)
    with pytest.raises(ValueError, match="does not fit"):
        base62.encode(-1, 6)
    assert base62.is_base62(ALPHABET)
    assert not base62.is_base62("abc_")
