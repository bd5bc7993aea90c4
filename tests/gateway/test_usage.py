"""Traffic log and last-used bookkeeping, written off the request path."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from tests.gateway.conftest import World, modern_call, modern_headers, runtime_of
from tests.gateway.test_sessions import INIT, headers
from tests.support.clock import ManualClock
from tests.support.people import make_person
from toolkeep.context import AppContext


def flush(client: TestClient) -> None:
    client.portal.call(runtime_of(client).usage.flush)  # type: ignore[union-attr]


def test_every_request_lands_in_the_traffic_log_without_the_key(
    client: TestClient, world: World, ctx: AppContext
) -> None:
    owner_token = ctx.accounts.create_token("owner@example.com", "t").plaintext
    auth = {"Authorization": f"Bearer {owner_token}"}
    client.post("/s/acme/mcp", json=modern_call(), headers=modern_headers(key=world.key))
    client.post("/s/acme/mcp", json=modern_call(), headers=modern_headers())
    flush(client)
    logs = client.get("/api/v1/servers/acme/logs", headers=auth).json()
    assert [(e["http_status"], e["method"], e["tool"]) for e in logs] == [
        (401, None, None),
        (200, "tools/call", "echo"),
    ]
    assert logs[0]["error_code"] == "credentials_missing"
    assert logs[1]["kid"] == world.key.split("_")[1]
    assert logs[1]["client_ip"] == "testclient"
    assert world.key not in str(logs)
    only_401 = client.get("/api/v1/servers/acme/logs?status=401", headers=auth).json()
    assert len(only_401) == 1
    by_tool = client.get("/api/v1/servers/acme/logs?tool=echo&method=tools/call", headers=auth)
    assert len(by_tool.json()) == 1
    other = make_person(ctx, "intruder@example.com")
    denied = client.get("/api/v1/servers/acme/logs", headers=other.headers)
    assert denied.status_code == 404


def test_last_used_records_time_ip_and_client_and_is_written_at_most_once_a_minute(
    client: TestClient, world: World, ctx: AppContext, clock: ManualClock
) -> None:
    client.post("/s/acme/mcp", json=INIT, headers=headers(world.key))
    flush(client)
    _, keys = ctx.keys.list_keys(world.actor, "acme")
    first = keys[0]
    assert first.last_used_at == clock.now
    assert (first.last_used_ip, first.last_used_client) == ("testclient", "claude-desktop 1.2")
    clock.advance(timedelta(seconds=30))
    client.post("/s/acme/mcp", json=modern_call(), headers=modern_headers(key=world.key))
    flush(client)
    assert ctx.keys.list_keys(world.actor, "acme")[1][0].last_used_at == first.last_used_at
    clock.advance(timedelta(seconds=31))
    client.post("/s/acme/mcp", json=modern_call(), headers=modern_headers(key=world.key))
    flush(client)
    latest = ctx.keys.list_keys(world.actor, "acme")[1][0]
    assert latest.last_used_at == clock.now
    assert latest.last_used_client == "claude-desktop 1.2"  # kept when a request carries none


def test_a_revoked_key_presented_again_is_audited_once_a_minute(
    client: TestClient, world: World, ctx: AppContext
) -> None:
    ctx.keys.revoke(world.actor, "acme", world.key.split("_")[1])
    for _ in range(3):
        client.post("/s/acme/mcp", json=modern_call(), headers=modern_headers(key=world.key))
    flush(client)
    events = [e.event for e in ctx.servers.audit_trail(world.actor, "acme")]
    assert events.count("key.used_after_revoke") == 1


def test_a_flood_of_identical_refusals_is_stored_as_one_counted_row(
    client: TestClient, world: World, ctx: AppContext
) -> None:
    token = ctx.accounts.create_token("owner@example.com", "t").plaintext
    for _ in range(25):
        client.post("/s/acme/mcp", json=modern_call(), headers=modern_headers())
    flush(client)
    logs = client.get("/api/v1/servers/acme/logs", headers={"Authorization": f"Bearer {token}"})
    assert [(e["http_status"], e["count"]) for e in logs.json()] == [(401, 25)]


def test_traffic_older_than_the_retention_is_pruned_and_newer_kept(
    client: TestClient, world: World, ctx: AppContext, clock: ManualClock
) -> None:
    client.post("/s/acme/mcp", json=modern_call(), headers=modern_headers(key=world.key))
    flush(client)
    clock.advance(timedelta(days=10))
    client.post("/s/acme/mcp", json=modern_call(), headers=modern_headers(key=world.key))
    flush(client)
    usage = runtime_of(client).usage
    removed = client.portal.call(usage.prune, timedelta(days=5))  # type: ignore[union-attr]
    assert removed == 1
    token = ctx.accounts.create_token("owner@example.com", "t").plaintext
    logs = client.get("/api/v1/servers/acme/logs", headers={"Authorization": f"Bearer {token}"})
    assert [e["at"] for e in logs.json()] == [clock.now.isoformat().replace("+00:00", "Z")]


def test_a_legacy_request_is_logged_with_its_session_client_and_json_rpc_error(
    client: TestClient, world: World, ctx: AppContext, clock: ManualClock
) -> None:
    opened = client.post("/s/acme/mcp", json=INIT, headers=headers(world.key))
    session = opened.headers["mcp-session-id"]
    bad = {"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {"cursor": "bogus"}}
    assert client.post("/s/acme/mcp", json=bad, headers=headers(world.key, session)).is_success
    flush(client)
    token = ctx.accounts.create_token("owner@example.com", "t").plaintext
    logs = client.get("/api/v1/servers/acme/logs", headers={"Authorization": f"Bearer {token}"})
    listed, initialized = logs.json()
    assert initialized["method"] == "initialize"
    assert {k: v for k, v in listed.items() if k not in ("id", "duration_ms")} == {
        "at": clock.now.isoformat().replace("+00:00", "Z"),
        "method": "tools/list",
        "tool": None,
        "http_status": 200,
        "rpc_error": -32602,
        "error_code": None,
        "client_ip": "testclient",
        "session_id": session,
        "kid": world.key.split("_")[1],
        "client": "claude-desktop 1.2",
        "count": 1,
    }
    assert listed["duration_ms"] >= 0
