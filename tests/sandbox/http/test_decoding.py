"""The body decoder never inflates more than one piece at a time, whatever the ratio."""

from __future__ import annotations

import gzip
import zlib

import pytest

from toolkeep.sandbox.http import HttpError, HttpErrorCode
from toolkeep.sandbox.http.decoding import PIECE, BodyDecoder

BOMB = gzip.compress(b"\0" * (32 * 1024 * 1024))  # ~32 KiB that inflates to 32 MiB


def decode(encoding: str | None, *chunks: bytes) -> bytes:
    decoder = BodyDecoder(encoding)
    out = [piece for chunk in chunks for piece in decoder.feed(chunk)]
    out += list(decoder.finish())
    return b"".join(out)


def test_a_bomb_in_one_chunk_comes_out_in_small_pieces_on_demand() -> None:
    pieces = BodyDecoder("gzip").feed(BOMB)

    first = [next(pieces) for _ in range(3)]

    assert all(len(piece) <= PIECE for piece in first)
    assert sum(map(len, first)) == 3 * PIECE  # only what was asked for was inflated


def test_a_bomb_decodes_completely_when_the_caller_keeps_pulling() -> None:
    total = sum(len(p) for p in BodyDecoder("gzip").feed(BOMB))

    assert total == 32 * 1024 * 1024


def test_a_nested_encoding_is_undone_in_reverse_order() -> None:
    data = b"hello " * 50_000
    body = zlib.compress(gzip.compress(data))

    assert decode("gzip, deflate", body) == data


def test_a_body_split_at_every_byte_decodes_the_same() -> None:
    data = bytes(range(256)) * 40
    body = gzip.compress(data)

    assert decode("gzip", *(body[i : i + 1] for i in range(len(body)))) == data


def test_several_gzip_members_are_all_decoded() -> None:
    assert decode("gzip", gzip.compress(b"one ") + gzip.compress(b"two")) == b"one two"


@pytest.mark.parametrize("encoding", [None, "", "identity", "br", "zstd", "gzip, br"])
def test_an_identity_or_unsupported_coding_passes_the_bytes_through(encoding: str | None) -> None:
    assert decode(encoding, b"raw", b"bytes") == b"rawbytes"


def test_more_than_three_codings_are_refused() -> None:
    with pytest.raises(HttpError) as caught:
        BodyDecoder("gzip, gzip, gzip, gzip")

    assert caught.value.code == HttpErrorCode.PROTOCOL_ERROR


def test_corrupt_deflate_data_is_a_protocol_error() -> None:
    with pytest.raises(HttpError) as caught:
        decode("deflate", b"\x78\x9c" + b"\xff" * 20)

    assert caught.value.code == HttpErrorCode.PROTOCOL_ERROR
