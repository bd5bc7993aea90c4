"""AES-256-GCM sealing: round trips, and any wrong key, context or byte fails closed."""

from __future__ import annotations

import base64

import pytest

from toolkeep.crypto.sealing import KEY_BYTES, SealBroken, Sealer
from toolkeep.errors import ConfigurationError

KEY = bytes(range(32))
CONTEXT = "server:6f1c0e52-4f4e-4c59-9b43-9d1c6f0f2a11:secret:API_TOKEN"


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(KEY)


@pytest.mark.parametrize("plaintext", ["", "s3cr3t", "ünïcödé ☃ 𝄞", "x" * 100_000])
def test_a_sealed_value_opens_to_the_same_text(sealer: Sealer, plaintext: str) -> None:
    assert sealer.open(sealer.seal(plaintext, CONTEXT), CONTEXT) == plaintext


def test_the_sealed_layout_is_version_nonce_ciphertext_tag(sealer: Sealer) -> None:
    sealed = sealer.seal("hello", CONTEXT)

    assert sealed[:1] == b"\x01"
    assert len(sealed) == 1 + 12 + len(b"hello") + 16
    assert b"hello" not in sealed


def test_sealing_twice_gives_different_bytes(sealer: Sealer) -> None:
    assert sealer.seal("same", CONTEXT) != sealer.seal("same", CONTEXT)


def test_a_value_sealed_for_one_context_does_not_open_in_another(sealer: Sealer) -> None:
    sealed = sealer.seal("value", CONTEXT)

    with pytest.raises(SealBroken, match="cannot be decrypted"):
        sealer.open(sealed, CONTEXT.replace("API_TOKEN", "OTHER"))


def test_a_value_does_not_open_with_another_key(sealer: Sealer) -> None:
    sealed = sealer.seal("value", CONTEXT)
    other = Sealer(bytes(reversed(KEY)))

    with pytest.raises(SealBroken) as caught:
        other.open(sealed, CONTEXT)

    assert caught.value.code == "sealed_value_unreadable"
    assert "wrong encryption key" in caught.value.message


def test_any_flipped_byte_makes_the_value_unreadable(sealer: Sealer) -> None:
    sealed = sealer.seal("value", CONTEXT)
    for index in range(1, len(sealed)):
        tampered = bytearray(sealed)
        tampered[index] ^= 0x01
        with pytest.raises(SealBroken):
            sealer.open(bytes(tampered), CONTEXT)


def test_an_unknown_format_byte_is_reported_as_such(sealer: Sealer) -> None:
    sealed = sealer.seal("value", CONTEXT)

    with pytest.raises(SealBroken, match="unknown format"):
        sealer.open(b"\x02" + sealed[1:], CONTEXT)
    with pytest.raises(SealBroken, match="unknown format"):
        sealer.open(b"", CONTEXT)


def test_a_truncated_value_is_unreadable_not_a_crash(sealer: Sealer) -> None:
    sealed = sealer.seal("value", CONTEXT)
    for end in range(1, len(sealed)):
        with pytest.raises(SealBroken):
            sealer.open(sealed[:end], CONTEXT)


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_key_that_is_not_32_bytes_is_refused(size: int) -> None:
    with pytest.raises(ConfigurationError, match="exactly 32 bytes"):
        Sealer(b"k" * size)


def test_a_generated_key_file_parses_and_seals() -> None:
    text = Sealer.generate_text()

    assert text.startswith("#")
    assert text != Sealer.generate_text()
    assert len(base64.b64decode(text.splitlines()[-1])) == KEY_BYTES
    sealer = Sealer.parse(text)
    assert sealer.open(sealer.seal("ok", CONTEXT), CONTEXT) == "ok"


def test_a_key_file_with_comments_and_blank_lines_parses() -> None:
    text = f"# comment\n\n  {base64.b64encode(KEY).decode()}  \n\n"
    sealed = Sealer(KEY).seal("ok", CONTEXT)

    assert Sealer.parse(text).open(sealed, CONTEXT) == "ok"


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "not base64!", base64.b64encode(b"k" * 31).decode()],
    ids=["empty", "comments-only", "not-base64", "short"],
)
def test_a_bad_key_file_is_refused_with_a_message_that_says_why(text: str) -> None:
    with pytest.raises(ConfigurationError, match="must hold 32 bytes in base64"):
        Sealer.parse(text)
