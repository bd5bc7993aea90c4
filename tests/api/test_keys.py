"""REST: the API-key lifecycle."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.api.conftest import create_server
from tests.support.clock import ManualClock
from tests.support.people import Person
from tests.support.snapshot import snapshot, stored_bytes
from toolkeep.context import AppContext
from toolkeep.keys.verifier import Outcome
from toolkeep.settings import Settings
from toolkeep.store.tables import api_keys, audit_events

KEYS = "/api/v1/servers/acme-weather/keys"


def new_key(client: TestClient, person: Person, label: str, **extra: Any) -> dict[str, Any]:
    response = client.post(KEYS, json={"label": label, **extra}, headers=person.headers)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    data: dict[str, Any] = response.json()
    return data


def statuses(client: TestClient, person: Person) -> dict[str, str]:
    listed = client.get(KEYS, headers=person.headers).json()
    return {k["kid"]: k["status"] for k in listed}


def test_the_plaintext_key_appears_in_exactly_one_response_and_nowhere_stored(
    client: TestClient,
    alice: Person,
    ctx: AppContext,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    create_server(client, alice)
    created = client.post(KEYS, json={"label": "laptop"}, headers=alice.headers)
    plaintext = created.json()["key"]
    secret = plaintext.split("_")[2][:43]
    seen = [
        client.get(KEYS, headers=alice.headers).text,
        client.get("/api/v1/servers/acme-weather", headers=alice.headers).text,
        client.get("/api/v1/servers/acme-weather/audit", headers=alice.headers).text,
        client.post(f"{KEYS}/{created.json()['kid']}/revoke", headers=alice.headers).text,
    ]
    assert created.text.count(plaintext) == 1
    assert not any(secret in text or secret[:20] in text for text in seen)
    assert secret not in caplog.text
    assert secret[:20] not in caplog.text
    dump = repr(snapshot(ctx.db))
    assert secret not in dump
    assert secret[:20] not in dump
    assert secret.encode() not in stored_bytes(ctx.db, settings.data_dir)


def test_a_key_lists_masked_with_its_metadata(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    created = new_key(client, alice, "laptop")
    listed = {k["kid"]: k for k in client.get(KEYS, headers=alice.headers).json()}
    entry = listed[created["kid"]]
    assert "key" not in entry
    assert entry["masked"] == f"tk_{created['kid']}_…{created['key'][-10:-6]}"
    assert entry["status"] == "active"
    assert entry["enforced"] is True
    assert entry["created_by"] == "alice@example.com"
    assert entry["last_used_at"] is None


def test_revoking_is_immediate_idempotent_and_audited(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    key = new_key(client, alice, "laptop")
    assert ctx.verifier.verify("acme-weather", key["key"])[1].outcome is Outcome.VALID
    first = client.post(
        f"{KEYS}/{key['kid']}/revoke", json={"reason": "compromised"}, headers=alice.headers
    )
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["revoke_reason"]) == ("revoked", "compromised")
    verdict = ctx.verifier.verify("acme-weather", key["key"])[1]
    assert (verdict.outcome, verdict.reason) == (Outcome.REVOKED, "compromised")
    second = client.post(f"{KEYS}/{key['kid']}/revoke", headers=alice.headers)
    assert second.status_code == 200
    assert second.json()["revoked_at"] == first.json()["revoked_at"]
    assert second.json()["revoke_reason"] == "compromised"
    events = [
        e["event"]
        for e in client.get("/api/v1/servers/acme-weather/audit", headers=alice.headers).json()
    ]
    assert events.count("key.revoked") == 1


def test_rolling_keeps_the_old_key_valid_for_the_grace_period_only(
    client: TestClient, alice: Person, ctx: AppContext, clock: ManualClock
) -> None:
    create_server(client, alice)
    old = new_key(client, alice, "laptop")
    rolled = client.post(f"{KEYS}/{old['kid']}/roll", json={"grace": "1h"}, headers=alice.headers)
    assert rolled.status_code == 200
    assert rolled.headers["cache-control"] == "no-store"
    new = rolled.json()["new"]
    assert new["label"] == "laptop"
    assert new["key"] != old["key"]
    assert rolled.json()["old"]["status"] == "rolling"
    assert rolled.json()["old"]["replaced_by"] == new["kid"]
    verify = ctx.verifier.verify
    clock.advance(timedelta(minutes=59))
    assert verify("acme-weather", old["key"])[1].outcome is Outcome.VALID
    assert verify("acme-weather", new["key"])[1].outcome is Outcome.VALID
    clock.advance(timedelta(minutes=1))
    assert verify("acme-weather", old["key"])[1].outcome is Outcome.EXPIRED
    assert verify("acme-weather", new["key"])[1].outcome is Outcome.VALID
    assert statuses(client, alice)[old["kid"]] == "expired"


def test_rolling_with_zero_grace_expires_the_old_key_at_once(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    old = new_key(client, alice, "laptop")
    client.post(f"{KEYS}/{old['kid']}/roll", json={"grace": "0s"}, headers=alice.headers)
    assert ctx.verifier.verify("acme-weather", old["key"])[1].outcome is Outcome.EXPIRED


def test_a_rolled_or_revoked_key_cannot_be_rolled_again(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    old = new_key(client, alice, "laptop")
    client.post(f"{KEYS}/{old['kid']}/roll", headers=alice.headers)
    again = client.post(f"{KEYS}/{old['kid']}/roll", headers=alice.headers)
    assert again.status_code == 409
    assert again.json()["error_code"] == "key_not_active"


@pytest.mark.parametrize("grace", ["2h", "", "forever", 3600])
def test_a_bad_grace_is_refused_and_changes_nothing(
    client: TestClient, alice: Person, ctx: AppContext, grace: object
) -> None:
    create_server(client, alice)
    key = new_key(client, alice, "laptop")
    before = snapshot(ctx.db)
    response = client.post(
        f"{KEYS}/{key['kid']}/roll", json={"grace": grace}, headers=alice.headers
    )
    assert response.status_code == 422
    assert response.json()["field"] == "grace"
    assert "0s" in response.json()["message"]
    assert snapshot(ctx.db) == before


def test_an_expiry_is_honoured(
    client: TestClient, alice: Person, ctx: AppContext, clock: ManualClock
) -> None:
    create_server(client, alice)
    expires = (clock.now + timedelta(days=1)).isoformat()
    key = new_key(client, alice, "temp", expires_at=expires)
    assert ctx.verifier.verify("acme-weather", key["key"])[1].outcome is Outcome.VALID
    clock.advance(timedelta(days=1))
    verdict = ctx.verifier.verify("acme-weather", key["key"])[1]
    assert verdict.outcome is Outcome.EXPIRED
    assert verdict.at is not None
    assert verdict.at.isoformat() == expires


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"label": ""}, "invalid_label"),
        ({"label": "   "}, "invalid_label"),
        ({"label": "x" * 65}, "validation_error"),
        ({"label": "tab\there"}, "invalid_label"),
        ({"label": "ok", "expires_at": "2000-01-01T00:00:00Z"}, "invalid_expiry"),
        ({"label": "ok", "expires_at": "2030-01-01T00:00:00"}, "invalid_expiry"),
        ({"label": "ok", "expires_at": "soon"}, "validation_error"),
        ({}, "validation_error"),
    ],
)
def test_bad_key_input_is_refused_and_changes_nothing(
    client: TestClient, alice: Person, ctx: AppContext, body: dict[str, str], code: str
) -> None:
    create_server(client, alice)
    before = snapshot(ctx.db)
    response = client.post(KEYS, json=body, headers=alice.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == code
    assert snapshot(ctx.db) == before


def test_labels_are_unique_among_active_keys_only(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    first = new_key(client, alice, "laptop")
    clash = client.post(KEYS, json={"label": "laptop"}, headers=alice.headers)
    assert clash.status_code == 409
    assert clash.json()["error_code"] == "label_taken"
    client.post(f"{KEYS}/{first['kid']}/revoke", headers=alice.headers)
    assert new_key(client, alice, "laptop")["label"] == "laptop"


def test_at_most_fifty_keys_are_active_per_server(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    create_server(client, alice)  # the first key, "default"
    kids = [new_key(client, alice, f"k{i}")["kid"] for i in range(49)]
    before = snapshot(ctx.db)
    over = client.post(KEYS, json={"label": "one-too-many"}, headers=alice.headers)
    assert over.status_code == 409
    assert over.json()["error_code"] == "key_limit_reached"
    assert "50" in over.json()["message"]
    assert snapshot(ctx.db) == before
    rolled = client.post(f"{KEYS}/{kids[0]}/roll", headers=alice.headers)
    assert rolled.status_code == 200  # a roll swaps one active key for another
    client.post(f"{KEYS}/{kids[1]}/revoke", headers=alice.headers)
    assert new_key(client, alice, "room-again")["status"] == "active"


def test_another_user_cannot_see_revoke_or_roll_keys(
    client: TestClient, alice: Person, bob: Person, ctx: AppContext
) -> None:
    create_server(client, alice)
    key = new_key(client, alice, "laptop")
    before = snapshot(ctx.db)
    for response in [
        client.get(KEYS, headers=bob.headers),
        client.post(KEYS, json={"label": "mine"}, headers=bob.headers),
        client.post(f"{KEYS}/{key['kid']}/revoke", headers=bob.headers),
        client.post(f"{KEYS}/{key['kid']}/roll", headers=bob.headers),
    ]:
        assert response.status_code == 404
        assert response.json()["error_code"] == "server_not_found"
    assert snapshot(ctx.db) == before


def test_an_unknown_kid_is_a_404(client: TestClient, alice: Person) -> None:
    create_server(client, alice)
    response = client.post(f"{KEYS}/AAAAAAAAAAAAAAAA/revoke", headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["error_code"] == "key_not_found"


def test_switching_to_api_key_mode_mints_a_key_only_when_none_is_active(
    client: TestClient, alice: Person
) -> None:
    create_server(client, alice, security_mode="public")
    server = "/api/v1/servers/acme-weather"
    first = client.patch(server, json={"security_mode": "api_key"}, headers=alice.headers)
    assert first.json()["api_key"]["key"].startswith("tk_")
    client.patch(server, json={"security_mode": "public"}, headers=alice.headers)
    listed = client.get(KEYS, headers=alice.headers).json()
    assert [(k["status"], k["enforced"]) for k in listed] == [("active", False)]  # dormant
    second = client.patch(server, json={"security_mode": "api_key"}, headers=alice.headers)
    assert second.json()["api_key"] is None
    client.post(f"{KEYS}/{listed[0]['kid']}/revoke", headers=alice.headers)
    client.patch(server, json={"security_mode": "unlisted"}, headers=alice.headers)
    third = client.patch(server, json={"security_mode": "api_key"}, headers=alice.headers)
    assert third.json()["api_key"]["label"] == "default"


def test_every_key_event_writes_an_audit_row_without_the_secret(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    server = create_server(client, alice)
    key = new_key(client, alice, "laptop")
    client.post(f"{KEYS}/{key['kid']}/roll", headers=alice.headers)
    client.post(f"{KEYS}/{key['kid']}/revoke", headers=alice.headers)
    with ctx.db.engine.connect() as conn:
        rows = conn.execute(select(audit_events).order_by(audit_events.c.id)).all()
    events = [(r.event, r.kid) for r in rows if r.event.startswith("key.")]
    assert events == [
        ("key.created", server["api_key"]["kid"]),
        ("key.created", key["kid"]),
        ("key.rolled", key["kid"]),
        ("key.revoked", key["kid"]),
    ]
    assert all(r.actor == "alice@example.com" for r in rows if r.event.startswith("key."))
    for minted in (server["api_key"]["key"], key["key"]):
        assert minted.split("_")[2][:43] not in repr(rows)


def test_the_database_holds_only_a_digest_and_the_last_four(
    client: TestClient, alice: Person, ctx: AppContext
) -> None:
    server = create_server(client, alice)
    plaintext = server["api_key"]["key"]
    with ctx.db.engine.connect() as conn:
        row = conn.execute(select(api_keys)).one()
    assert len(row.digest) == 32
    assert row.last4 == plaintext.split("_")[2][39:43]
    assert plaintext not in repr(row)
    assert plaintext.split("_")[2][:39] not in repr(row)
