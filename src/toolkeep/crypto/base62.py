"""Fixed-width base62 (alphabet ``0-9A-Za-z``, most significant digit first)."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX = {char: i for i, char in enumerate(ALPHABET)}


def encode(value: int, width: int) -> str:
    if value < 0 or value >= 62**width:
        raise ValueError("value does not fit the width")
    digits = []
    for _ in range(width):
        value, digit = divmod(value, 62)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 62 + _INDEX[char]
    return value


def is_base62(text: str) -> bool:
    return all(char in _INDEX for char in text)
