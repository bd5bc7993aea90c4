"""Every way a request can carry (or fail to carry) a key, against an API Key server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tests.gateway.conftest import World, modern_call, modern_headers, tool_runs
from tests.support.clock import ManualClock
from toolkeep.context import AppContext
from toolkeep.crypto import tokens

URL = "/s/acme/mcp"
REALM = 'Bearer realm="acme"'


def challenge(short: str, error: str = "invalid_token") -> str:
    return f'{REALM}, error="{error}", error_description="{short}"'


def corrupt_crc(key: str) -> str:
    return key[:-1] + ("A" if key[-1] != "A" else "B")


def unknown_kid(key: str) -> str:
    token = tokens.parse("tk", key)
    assert token is not None
    return tokens.Token("tk", "Z" * 16, token.secret).plaintext


def wrong_secret(key: str) -> str:
    token = tokens.parse("tk", key)
    assert token is not None
    return tokens.Token("tk", token.kid, "0" * 43).plaintext


IN_URL = challenge("Send the API key only in the Authorization header", "invalid_request")
CASES = {
    "no header": (None, 401, REALM, "credentials_missing"),
    "basic scheme": ("Basic b3duZXI6cHc=", 401, REALM, "credentials_missing"),
    "raw key without scheme": ("{key}", 401, REALM, "credentials_missing"),
    "empty bearer": ("Bearer ", 400, IN_URL, "empty_bearer"),
    "bad crc": ("Bearer {bad_crc}", 401, challenge("Malformed API key"), "key_malformed"),
    "not a key": ("Bearer hello", 401, challenge("Malformed API key"), "key_malformed"),
    "unknown kid": ("Bearer {unknown_kid}", 401, challenge("Invalid API key"), "key_invalid"),
    "wrong secret": ("Bearer {wrong_secret}", 401, challenge("Invalid API key"), "key_invalid"),
    "other server's key": ("Bearer {other}", 401, challenge("Invalid API key"), "key_invalid"),
    "two credentials in one header": ("Bearer {key}, Bearer {key}", 400, IN_URL,
                                      "multiple_credentials"),
}  # fmt: skip


def case_headers(world: World, template: str | None) -> dict[str, str]:
    """The modern request headers with a case's ``Authorization`` (none for ``None``)."""
    headers = modern_headers()
    if template is not None:
        headers["Authorization"] = template.format(
            key=world.key, bad_crc=corrupt_crc(world.key), unknown_kid=unknown_kid(world.key),
            wrong_secret=wrong_secret(world.key), other=world.other_key,
        )  # fmt: skip
    return headers


@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_credential_gets_the_exact_answer_and_runs_no_tool_code(
    client: TestClient, world: World, case: str
) -> None:
    template, status, www, code = CASES[case]
    response = client.post(URL, json=modern_call(), headers=case_headers(world, template))
    assert response.status_code == status, response.text
    assert response.headers["www-authenticate"] == www
    body = response.json()
    assert body["error_code"] == code
    assert body["request_id"] == response.headers["request-id"]
    assert response.headers["cache-control"] == "no-store"
    assert world.key not in response.text
    assert tool_runs(client) == 0


def test_the_bearer_scheme_is_case_insensitive_and_the_call_runs(
    client: TestClient, world: World
) -> None:
    headers = modern_headers()
    headers["Authorization"] = f"bearer {world.key}"
    response = client.post(URL, json=modern_call(), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["result"]["structuredContent"]["params"] == {"text": "hi"}
    assert tool_runs(client) == 1


def test_a_key_in_the_query_string_is_a_400_even_with_a_valid_header(
    client: TestClient, world: World
) -> None:
    for query in ("?key=abc", f"?api_key={world.key}", "?access_token=x", "?Token=x"):
        response = client.post(
            URL + query, json=modern_call(), headers=modern_headers(key=world.key)
        )
        assert response.status_code == 400
        assert response.json()["error_code"] == "credentials_in_url"
        assert 'error="invalid_request"' in response.headers["www-authenticate"]
    assert tool_runs(client) == 0


def test_two_authorization_headers_are_a_400(client: TestClient, world: World) -> None:
    headers = [(k, v) for k, v in modern_headers().items()]
    headers += [("Authorization", f"Bearer {world.key}"), ("Authorization", f"Bearer {world.key}")]
    response = client.post(URL, json=modern_call(), headers=headers)
    assert response.status_code == 400
    assert response.json()["error_code"] == "multiple_credentials"
    assert tool_runs(client) == 0


def test_unknown_kid_wrong_secret_and_other_servers_key_answer_identical_bytes(
    client: TestClient, world: World
) -> None:
    bodies = set()
    for key in (unknown_kid(world.key), wrong_secret(world.key), world.other_key):
        response = client.post(URL, json=modern_call(), headers=modern_headers(key=key))
        rid = response.headers["request-id"]
        headers = sorted((k, v) for k, v in response.headers.items() if k != "request-id")
        bodies.add((response.status_code, response.text.replace(rid, "RID"), tuple(headers)))
    assert len(bodies) == 1


def test_a_revoked_key_is_refused_with_when_and_why(
    client: TestClient, world: World, ctx: AppContext
) -> None:
    kid = world.key.split("_")[1]
    ctx.keys.revoke(world.actor, "acme", kid, "compromised")
    response = client.post(URL, json=modern_call(), headers=modern_headers(key=world.key))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge("API key revoked")
    body = response.json()
    assert (body["error_code"], body["key_id"], body["revoke_reason"]) == (
        "key_revoked", kid, "compromised",
    )  # fmt: skip
    assert tool_runs(client) == 0


def test_an_expired_key_is_refused(
    client: TestClient, world: World, ctx: AppContext, clock: ManualClock
) -> None:
    minted = ctx.keys.create(world.actor, "acme", "temp", clock.now + timedelta(hours=1))
    assert (
        client.post(
            URL, json=modern_call(), headers=modern_headers(key=minted.plaintext)
        ).status_code
        == 200
    )
    clock.advance(timedelta(hours=1))
    response = client.post(URL, json=modern_call(), headers=modern_headers(key=minted.plaintext))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge("API key expired")
    assert response.json()["error_code"] == "key_expired"
    assert tool_runs(client) == 1
