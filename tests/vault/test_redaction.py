"""Redaction of secret values and credentials from text and JSON-like structures."""

from __future__ import annotations

import json
import random
import re
import string
import time
from urllib.parse import quote, urlencode

import pytest

from toolkeep.crypto import tokens
from toolkeep.vault.redaction import ALWAYS, MIN_LENGTH, Redactor

API_KEY = tokens.mint("tk").plaintext
PAT = tokens.mint("tkpat").plaintext


def test_every_occurrence_of_a_value_becomes_a_marker_with_its_name() -> None:
    redactor = Redactor({"API_TOKEN": "s3cr3t-token", "REGION": "eu-west-1"})
    text = "GET /v1?token=s3cr3t-token&again=s3cr3t-token in eu-west-1"
    assert redactor.redact(text) == (
        "GET /v1?token=[REDACTED:API_TOKEN]&again=[REDACTED:API_TOKEN] in [REDACTED:REGION]"
    )


def test_text_without_a_match_is_returned_as_is() -> None:
    redactor = Redactor({"API_TOKEN": "s3cr3t-token"})
    text = "nothing to see: s3cr3t-toke, 3cr3t-token"
    assert redactor.redact(text) is text


def test_a_value_inside_a_longer_value_is_covered_by_the_longer_one() -> None:
    redactor = Redactor({"SHORT": "abc123", "LONG": "xyz-abc123-xyz"})
    assert redactor.redact("[xyz-abc123-xyz] [abc123]") == (
        "[[REDACTED:LONG,SHORT]] [[REDACTED:SHORT]]"
    )


def test_overlapping_values_merge_into_one_marker_and_no_character_survives() -> None:
    redactor = Redactor({"A": "alpha-beta", "B": "beta-gamma"})
    out = redactor.redact("<alpha-beta-gamma>")
    assert out == "<[REDACTED:A,B]>"
    chained = Redactor({"A": "aaab", "B": "abbb", "C": "bbbc"})
    assert chained.redact("xaaabbbcx") == "x[REDACTED:A,B,C]x"


def test_adjacent_values_get_one_marker_each() -> None:
    redactor = Redactor({"A": "first", "B": "second"})
    assert redactor.redact("firstsecond") == "[REDACTED:A][REDACTED:B]"


def test_a_value_that_is_a_prefix_of_another_prefers_the_longer_match() -> None:
    redactor = Redactor({"A": "token", "B": "token-extended"})
    assert redactor.redact("token-extended token-ext") == "[REDACTED:B] [REDACTED:A]-ext"


def test_regex_metacharacters_in_values_are_literal() -> None:
    value = r"a.b*c+d?(e)[f]{2}|g^h$i\j"
    redactor = Redactor({"WEIRD": value})
    assert redactor.redact(f"<{value}>") == "<[REDACTED:WEIRD]>"
    assert redactor.redact("aXb*c+d?(e)[f]{2}|g^h$i\\j") == "aXb*c+d?(e)[f]{2}|g^h$i\\j"
    assert Redactor({"DOTS": "..."}).redact("a...b") == "a[REDACTED:DOTS]b"


def test_unicode_values_are_found_as_written_and_as_ascii_json_escapes() -> None:
    value = "pässwörd-日本語-🔑"
    redactor = Redactor({"UNI": value})
    assert redactor.redact(f"x {value} x") == "x [REDACTED:UNI] x"
    assert redactor.redact(json.dumps({"p": value})) == '{"p": "[REDACTED:UNI]"}'
    assert redactor.redact(json.dumps({"p": value}, ensure_ascii=False)) == (
        '{"p": "[REDACTED:UNI]"}'
    )
    assert Redactor({"CJK": "日本語"}).redact("言語: 日本語です") == "言語: [REDACTED:CJK]です"


def test_a_value_inside_serialized_json_is_found_in_its_escaped_form() -> None:
    value = 'pa"ss\\word\nline2\ttab'
    redactor = Redactor({"PASSWORD": value})
    logged = json.dumps({"auth": {"password": value}, "note": "ok"})
    assert value not in logged  # escaped on the way in
    assert redactor.redact(logged) == '{"auth": {"password": "[REDACTED:PASSWORD]"}, "note": "ok"}'


def test_a_value_inside_a_url_is_found_percent_encoded() -> None:
    value = "p@ss w/rd&=!"
    redactor = Redactor({"PASSWORD": value})
    python_url = "https://api.example.com/?" + urlencode({"password": value, "x": "1"})
    js_url = "https://api.example.com/?password=" + quote(value, safe="-_.!~*'()")
    assert redactor.redact(python_url) == (
        "https://api.example.com/?password=[REDACTED:PASSWORD]&x=1"
    )
    assert redactor.redact(js_url) == "https://api.example.com/?password=[REDACTED:PASSWORD]"


def test_redact_json_walks_keys_values_lists_and_numbers() -> None:
    redactor = Redactor({"TOKEN": "tok-123456", "PIN": "987654"})
    obj = {
        "headers": {"Authorization": "Bearer tok-123456"},
        "tok-123456": ["tok-123456", 1, 2.5, True, None],
        "pin": 987654,
        "nested": ({"deep": ["x tok-123456 y"]},),
        "plain": 42,
    }
    assert redactor.redact_json(obj) == {
        "headers": {"Authorization": "Bearer [REDACTED:TOKEN]"},
        "[REDACTED:TOKEN]": ["[REDACTED:TOKEN]", 1, 2.5, True, None],
        "pin": "[REDACTED:PIN]",
        "nested": [{"deep": ["x [REDACTED:TOKEN] y"]}],
        "plain": 42,
    }
    assert obj["headers"] == {"Authorization": "Bearer tok-123456"}  # the input is untouched


def test_api_keys_and_personal_access_tokens_are_always_redacted() -> None:
    text = f"key={API_KEY} pat={PAT} glued:x{API_KEY}y"
    expected = "key=[REDACTED:api_key] pat=[REDACTED:api_key] glued:x[REDACTED:api_key]y"
    assert ALWAYS.redact(text) == expected
    assert Redactor({"OTHER": "unrelated"}).redact(text) == expected
    assert ALWAYS.redact_json({"k": [API_KEY]}) == {"k": ["[REDACTED:api_key]"]}


def test_a_malformed_key_shape_is_left_alone() -> None:
    short = API_KEY[:-1]
    assert ALWAYS.redact(f"{short} ") == f"{short} "
    assert ALWAYS.redact("tk_docs_example") == "tk_docs_example"


def test_a_secret_holding_an_api_key_is_labelled_with_its_own_name() -> None:
    redactor = Redactor({"UPSTREAM_KEY": API_KEY})
    assert redactor.redact(f"using {API_KEY}.") == "using [REDACTED:UPSTREAM_KEY]."
    around = Redactor({"HEADER": f"Bearer {API_KEY}"})
    assert around.redact(f"Bearer {API_KEY}") == "[REDACTED:HEADER,api_key]"


@pytest.mark.parametrize("value", ["", "a", "42"])
def test_values_shorter_than_three_characters_are_not_redacted(value: str) -> None:
    assert len(value) < MIN_LENGTH
    text = "a 42 banana"
    assert Redactor({"TINY": value}).redact(text) == text


def test_a_three_character_value_is_redacted() -> None:
    assert Redactor({"PIN": "123"}).redact("pin 123, not 12") == "pin [REDACTED:PIN], not 12"


def test_two_names_with_one_value_are_labelled_by_the_first_name() -> None:
    redactor = Redactor({"ZED": "same-value", "ABLE": "same-value"})
    assert redactor.redact("same-value") == "[REDACTED:ABLE]"


def test_bare_values_are_labelled_secret() -> None:
    assert Redactor(["hunter22"]).redact("pw hunter22") == "pw [REDACTED:secret]"
    with pytest.raises(TypeError):
        Redactor("hunter22")


def test_a_64_kib_value_is_redacted_whole() -> None:
    big = "-----BEGIN KEY-----" + "Q" * (64 * 1024 - 40) + "-----END KEY-----"
    redactor = Redactor({"PEM": big})
    assert redactor.redact(f"key:\n{big}\nend") == "key:\n[REDACTED:PEM]\nend"
    assert redactor.redact(big[:-1]) == big[:-1]  # not the whole value: not this value


def test_many_values_sharing_a_prefix_each_get_their_own_name() -> None:
    env = {f"KEY_{i}": f"sk_live_{i:04}_{'z' * 20}" for i in range(100)}
    redactor = Redactor(env)
    text = " | ".join(env.values())
    assert redactor.redact(text) == " | ".join(f"[REDACTED:{name}]" for name in env)


def test_the_no_match_case_is_fast_with_a_hundred_secrets() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "-_"
    env = {f"S{i}": "".join(rng.choice(alphabet) for _ in range(32)) for i in range(100)}
    redactor = Redactor(env)
    text = "tool get_weather returned 200 OK for Berlin, 21.5 C; " * 2000  # ~100 KB
    started = time.perf_counter()
    for _ in range(5):
        assert redactor.redact(text) is text
    elapsed = (time.perf_counter() - started) / 5
    assert elapsed < 0.25, f"{elapsed * 1000:.0f} ms for 100 KB"  # ~10 ms on a 2-core box


def test_a_redactor_finds_nothing_of_its_own_markers() -> None:
    redactor = Redactor({"REDACTED": "REDACTED", "API": "api_key"})
    once = redactor.redact("REDACTED api_key")
    assert once == "[REDACTED:REDACTED] [REDACTED:API]"
    assert re.fullmatch(r"\[REDACTED:\w+\] \[REDACTED:\w+\]", once)


def test_capped_redaction_never_leaves_part_of_a_value_at_the_cut() -> None:
    value = "0123456789abcdef"
    redactor = Redactor({"TOKEN": value})
    assert redactor.longest == len(value)
    text = "x" * 10 + value + "y" * 100
    for limit in range(0, 40):
        capped = redactor.redact_capped(text, limit)
        assert len(capped) <= limit
        assert capped == redactor.redact(text)[:limit]
        assert "0123" not in capped
        assert "cdef" not in capped
    keyed = ALWAYS.redact_capped("k=" + API_KEY + " tail", 20)
    assert keyed == "k=[REDACTED:api_key]"


def test_capped_redaction_reads_only_a_window_of_a_huge_text() -> None:
    redactor = Redactor({"PIN": "aaa"})
    huge = "a" * 5_000_000  # one dense run: the costliest shape for redaction
    started = time.perf_counter()
    assert redactor.redact_capped(huge, 1000) == "[REDACTED:PIN]"
    assert time.perf_counter() - started < 0.5
