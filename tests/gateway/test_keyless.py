"""The 401 flood: keyless requests to a server already seen locked take a short path that
must answer exactly what the full path answers."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from tests.gateway.conftest import (
    World,
    count_reads,
    modern_call,
    modern_headers,
    runtime_of,
    tool_runs,
)
from tests.gateway.test_auth_table import CASES, case_headers
from toolkeep.context import AppContext
from toolkeep.servers.models import SecurityMode, ServerChanges

URL = "/s/acme/mcp"


def keyless(client: TestClient, url: str = URL, **extra: str) -> tuple[int, dict[str, str], str]:
    response = client.post(url, json=modern_call(), headers=modern_headers() | extra)
    rid = response.headers.get("request-id", "no request id")
    headers = {k: v.replace(rid, "RID") for k, v in response.headers.items()}
    return response.status_code, headers, response.text.replace(rid, "RID")


def test_once_a_server_is_known_locked_a_keyless_request_reads_nothing_and_gets_the_same_bytes(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = keyless(client)  # the full path: one read finds the server locked
    reads = count_reads(client, monkeypatch)
    again = [keyless(client) for _ in range(3)]
    assert reads == []
    assert first[0] == 401
    assert all(answer == first for answer in again)
    assert first[1]["request-id"] == "RID"
    assert tool_runs(client) == 0


def test_every_request_id_of_the_flood_is_different(client: TestClient, world: World) -> None:
    ids = {
        client.post(URL, json=modern_call(), headers=modern_headers()).headers["request-id"]
        for _ in range(20)
    }
    assert len(ids) == 20


def test_a_foreign_host_still_gets_421_when_the_server_is_known_locked(
    client: TestClient, world: World
) -> None:
    keyless(client)
    status, _, body = keyless(client, Host="evil.example.com")
    assert status == 421
    assert '"error_code":"host_not_allowed"' in body


def test_a_credential_in_the_url_still_is_a_400_when_the_server_is_known_locked(
    client: TestClient, world: World
) -> None:
    keyless(client)
    status, _, body = keyless(client, URL + "?api_key=abc")
    assert status == 400
    assert '"error_code":"credentials_in_url"' in body


@pytest.mark.parametrize("case", list(CASES))
def test_every_credential_gets_the_same_answer_once_the_server_is_known_locked(
    client: TestClient, world: World, case: str
) -> None:
    keyless(client)
    template, status, www, code = CASES[case]
    response = client.post(URL, json=modern_call(), headers=case_headers(world, template))
    assert response.status_code == status
    assert response.headers["www-authenticate"] == www
    assert response.json()["error_code"] == code
    assert tool_runs(client) == 0


def test_a_valid_key_is_still_admitted_once_the_server_is_known_locked(
    client: TestClient, world: World
) -> None:
    keyless(client)
    response = client.post(URL, json=modern_call(), headers=modern_headers(key=world.key))
    assert response.status_code == 200
    assert tool_runs(client) == 1


def test_an_unlocked_server_answers_keyless_requests_once_the_hint_has_lapsed(
    client: TestClient, world: World, ctx: AppContext
) -> None:
    runtime_of(client).locked.ttl = 0.05
    assert keyless(client)[0] == 401
    ctx.servers.update(world.actor, "acme", ServerChanges(security_mode=SecurityMode.PUBLIC))
    time.sleep(0.06)
    assert keyless(client)[0] == 200
    assert tool_runs(client) == 1


def test_paths_near_a_locked_servers_endpoint_get_their_usual_answers(
    client: TestClient, world: World
) -> None:
    keyless(client)
    assert keyless(client, URL + "/")[0] == 401
    assert keyless(client, URL + "x")[0] == 404
    assert keyless(client, "/s/acme/.well-known/oauth-protected-resource")[0] == 404
