"""The vault service on real databases: set, replace, delete, list, the cap, load_env, binding."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.support.clock import ManualClock
from tests.support.owners import owner
from tests.support.snapshot import snapshot
from tests.vault.conftest import server_of
from toolkeep.actors import Actor
from toolkeep.context import AppContext
from toolkeep.crypto.sealing import SealBroken, Sealer
from toolkeep.servers.errors import ServerNotFound
from toolkeep.store.tables import audit_events, secrets
from toolkeep.vault.errors import (
    InvalidSecretName,
    InvalidSecretValue,
    SecretLimitReached,
    SecretNotFound,
    SecretUnreadable,
)
from toolkeep.vault.models import MAX_SECRETS, MAX_VALUE_BYTES, SecretInfo
from toolkeep.vault.service import VaultService

TOKEN = "sk_live_51HxQzZ2eZvKYlo2C8s9hQ3pW"


def sealed_rows(ctx: AppContext) -> dict[tuple[str, str], bytes]:
    with ctx.db.read() as conn:
        rows = conn.execute(select(secrets.c.server_id, secrets.c.name, secrets.c.sealed_value))
        return {(str(server_id), name): bytes(sealed) for server_id, name, sealed in rows}


def test_a_new_secret_is_created_then_its_value_replaced_keeping_created_at(
    vault: VaultService, alice: Actor, ctx: AppContext, clock: ManualClock
) -> None:
    info, created = vault.put(alice, "acme-weather", "API_TOKEN", TOKEN)
    assert created is True
    assert info == SecretInfo("API_TOKEN", clock.now, clock.now)
    first = clock.now
    clock.advance(timedelta(minutes=5))
    info, created = vault.put(alice, "acme-weather", "API_TOKEN", "rotated-value")
    assert created is False
    assert info == SecretInfo("API_TOKEN", first, clock.now)
    assert vault.list_names(alice, "acme-weather") == [info]
    server = server_of(ctx, alice, "acme-weather")
    assert vault.load_env(server.id) == {"API_TOKEN": "rotated-value"}


def test_the_list_is_in_name_order_and_holds_no_value(vault: VaultService, alice: Actor) -> None:
    for name in ("ZETA", "ALPHA", "_PRIVATE", "B2"):
        vault.put(alice, "acme-weather", name, f"value-of-{name}")
    listed = vault.list_names(alice, "acme-weather")
    assert [i.name for i in listed] == ["ALPHA", "B2", "ZETA", "_PRIVATE"]
    assert all(not hasattr(i, "value") for i in listed)
    assert "value-of" not in repr(listed)


def test_a_deleted_secret_is_gone_and_deleting_it_again_is_not_found(
    vault: VaultService, alice: Actor, ctx: AppContext
) -> None:
    vault.put(alice, "acme-weather", "API_TOKEN", TOKEN)
    vault.delete(alice, "acme-weather", "API_TOKEN")
    assert vault.list_names(alice, "acme-weather") == []
    assert vault.load_env(server_of(ctx, alice, "acme-weather").id) == {}
    with pytest.raises(SecretNotFound) as caught:
        vault.delete(alice, "acme-weather", "API_TOKEN")
    assert (caught.value.status, caught.value.code) == (404, "secret_not_found")


def test_every_change_is_audited_by_name_never_by_value(
    vault: VaultService, alice: Actor, ctx: AppContext
) -> None:
    vault.put(alice, "acme-weather", "API_TOKEN", TOKEN)
    vault.put(alice, "acme-weather", "API_TOKEN", TOKEN + "-2")
    vault.delete(alice, "acme-weather", "API_TOKEN")
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(audit_events.c.event, audit_events.c.actor, audit_events.c.details)
            .where(audit_events.c.event.like("secret.%"))
            .order_by(audit_events.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("secret.set", "alice@example.com", {"name": "API_TOKEN"}),
        ("secret.set", "alice@example.com", {"name": "API_TOKEN"}),
        ("secret.deleted", "alice@example.com", {"name": "API_TOKEN"}),
    ]
    assert TOKEN[8:24] not in repr(snapshot(ctx.db))


def test_the_stored_value_is_ciphertext_bound_to_nothing_readable(
    vault: VaultService, alice: Actor, ctx: AppContext
) -> None:
    vault.put(alice, "acme-weather", "API_TOKEN", TOKEN)
    dump = repr(snapshot(ctx.db))
    assert TOKEN not in dump
    assert TOKEN[10:20] not in dump
    (sealed,) = sealed_rows(ctx).values()
    assert TOKEN.encode() not in sealed
    assert TOKEN[10:20].encode() not in sealed
    assert len(sealed) == 1 + 12 + len(TOKEN.encode()) + 16  # version, nonce, text, tag


def test_setting_the_same_value_twice_stores_two_different_ciphertexts(
    vault: VaultService, alice: Actor, ctx: AppContext
) -> None:
    vault.put(alice, "acme-weather", "API_TOKEN", TOKEN)
    first = sealed_rows(ctx)
    vault.put(alice, "acme-weather", "API_TOKEN", TOKEN)
    assert sealed_rows(ctx) != first  # a fresh nonce each time


def test_load_env_returns_only_that_servers_secrets(
    vault: VaultService, alice: Actor, bob: Actor, ctx: AppContext
) -> None:
    vault.put(alice, "acme-weather", "API_TOKEN", "alice-token")
    vault.put(alice, "acme-weather", "REGION", "eu-west")
    vault.put(bob, "bob-tools", "API_TOKEN", "bob-token")
    ctx.servers.create(alice, name="Empty", subdomain="acme-empty")
    env = vault.load_env(server_of(ctx, alice, "acme-weather").id)
    assert env == {"API_TOKEN": "alice-token", "REGION": "eu-west"}
    assert vault.load_env(server_of(ctx, bob, "bob-tools").id) == {"API_TOKEN": "bob-token"}
    assert vault.load_env(server_of(ctx, alice, "acme-empty").id) == {}


def test_a_sealed_value_copied_to_another_server_does_not_open(
    vault: VaultService, alice: Actor, bob: Actor, ctx: AppContext
) -> None:
    vault.put(alice, "acme-weather", "API_TOKEN", "alice-token")
    vault.put(bob, "bob-tools", "API_TOKEN", "bob-token")
    alice_server = server_of(ctx, alice, "acme-weather")
    bob_server = server_of(ctx, bob, "bob-tools")
    stolen = sealed_rows(ctx)[(str(alice_server.id), "API_TOKEN")]
    with ctx.db.transaction() as conn:
        conn.execute(
            update(secrets)
            .where(secrets.c.server_id == bob_server.id, secrets.c.name == "API_TOKEN")
            .values(sealed_value=stolen)
        )
    with pytest.raises(SealBroken) as caught:
        vault.load_env(bob_server.id)
    assert isinstance(caught.value, SecretUnreadable)
    assert "'API_TOKEN'" in caught.value.message
    assert "copied from another server or name" in caught.value.message
    assert "alice-token" not in caught.value.message
    assert vault.load_env(alice_server.id) == {"API_TOKEN": "alice-token"}


def test_a_sealed_value_copied_to_another_name_does_not_open(
    vault: VaultService, alice: Actor, ctx: AppContext
) -> None:
    vault.put(alice, "acme-weather", "API_TOKEN", "the-token")
    vault.put(alice, "acme-weather", "PUBLIC_ID", "harmless")
    server = server_of(ctx, alice, "acme-weather")
    token = sealed_rows(ctx)[(str(server.id), "API_TOKEN")]
    with ctx.db.transaction() as conn:
        conn.execute(
            update(secrets)
            .where(secrets.c.server_id == server.id, secrets.c.name == "PUBLIC_ID")
            .values(sealed_value=token)
        )
    with pytest.raises(SecretUnreadable, match="'PUBLIC_ID'"):
        vault.load_env(server.id)


def test_secrets_sealed_under_another_encryption_key_do_not_open(
    vault: VaultService, alice: Actor, ctx: AppContext
) -> None:
    vault.put(alice, "acme-weather", "API_TOKEN", TOKEN)
    other = VaultService(ctx.db, Sealer(b"\x07" * 32), ctx.clock)
    with pytest.raises(SecretUnreadable, match="encryption key"):
        other.load_env(server_of(ctx, alice, "acme-weather").id)


def test_values_round_trip_exactly(vault: VaultService, alice: Actor, ctx: AppContext) -> None:
    values = {
        "ONE_BYTE": "x",
        "SPACES": "  padded value \n",
        "UNICODE": "pässwörd-日本語-🔑",
        "JSON": '{"user": "a", "pass": "b\\"c"}',
        "NUL": "a\x00b",
        "LARGEST": "€" * (MAX_VALUE_BYTES // 3) + "x" * (MAX_VALUE_BYTES % 3),
    }
    assert len(values["LARGEST"].encode()) == MAX_VALUE_BYTES
    for name, value in values.items():
        vault.put(alice, "acme-weather", name, value)
    assert vault.load_env(server_of(ctx, alice, "acme-weather").id) == values


@pytest.mark.parametrize(
    "name",
    ["api_token", "1TOKEN", "API-TOKEN", "API TOKEN", "", "A" * 65, "ÄPI", "TOKEN\n", "__proto__"],
)
def test_a_bad_name_is_refused_with_its_field_and_nothing_changes(
    vault: VaultService, alice: Actor, ctx: AppContext, name: str
) -> None:
    before = snapshot(ctx.db)
    with pytest.raises(InvalidSecretName) as caught:
        vault.put(alice, "acme-weather", name, TOKEN)
    assert (caught.value.status, caught.value.code, caught.value.field) == (
        422,
        "invalid_secret_name",
        "name",
    )
    assert "env.API_TOKEN" in caught.value.message
    with pytest.raises(InvalidSecretName):
        vault.delete(alice, "acme-weather", name)
    assert snapshot(ctx.db) == before


def test_the_longest_name_is_64_characters(vault: VaultService, alice: Actor) -> None:
    info, _ = vault.put(alice, "acme-weather", "A" * 64, TOKEN)
    assert info.name == "A" * 64


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "cannot be empty"),
        ("x" * (MAX_VALUE_BYTES + 1), "65537 bytes"),
        ("é" * (MAX_VALUE_BYTES // 2 + 1), "65538 bytes"),  # fewer characters than the limit
        ("bad \ud800 surrogate", "valid Unicode"),
        (12345, "must be text"),
        (None, "must be text"),
    ],
)
def test_a_bad_value_is_refused_with_its_field_and_nothing_changes(
    vault: VaultService, alice: Actor, ctx: AppContext, value: object, fragment: str
) -> None:
    vault.put(alice, "acme-weather", "KEEP", "kept")
    before = snapshot(ctx.db)
    with pytest.raises(InvalidSecretValue) as caught:
        vault.put(alice, "acme-weather", "KEEP", value)  # type: ignore[arg-type]
    assert (caught.value.status, caught.value.field) == (422, "value")
    assert fragment in caught.value.message
    assert snapshot(ctx.db) == before
    assert vault.load_env(server_of(ctx, alice, "acme-weather").id) == {"KEEP": "kept"}


def test_a_server_holds_at_most_100_secrets_and_replacing_one_at_the_cap_works(
    vault: VaultService, alice: Actor, ctx: AppContext
) -> None:
    for i in range(MAX_SECRETS):
        vault.put(alice, "acme-weather", f"S{i:03}", f"value-{i}")
    before = snapshot(ctx.db)
    with pytest.raises(SecretLimitReached) as caught:
        vault.put(alice, "acme-weather", "ONE_MORE", "value")
    assert (caught.value.status, caught.value.code) == (409, "secret_limit_reached")
    assert "100 secrets" in caught.value.message
    assert snapshot(ctx.db) == before
    _, created = vault.put(alice, "acme-weather", "S000", "replaced")
    assert created is False
    vault.delete(alice, "acme-weather", "S001")
    _, created = vault.put(alice, "acme-weather", "ONE_MORE", "value")
    assert created is True
    env = vault.load_env(server_of(ctx, alice, "acme-weather").id)
    assert len(env) == MAX_SECRETS
    assert (env["S000"], env["ONE_MORE"]) == ("replaced", "value")


def test_the_cap_is_per_server(vault: VaultService, alice: Actor, ctx: AppContext) -> None:
    ctx.servers.create(alice, name="Other", subdomain="acme-other")
    for i in range(MAX_SECRETS):
        vault.put(alice, "acme-weather", f"S{i:03}", "v")
    _, created = vault.put(alice, "acme-other", "S000", "v")
    assert created is True


def test_another_users_server_looks_missing_and_nothing_changes(
    vault: VaultService, alice: Actor, bob: Actor, ctx: AppContext
) -> None:
    vault.put(alice, "acme-weather", "API_TOKEN", TOKEN)
    before = snapshot(ctx.db)
    with pytest.raises(ServerNotFound):
        vault.put(bob, "acme-weather", "API_TOKEN", "overwritten")
    with pytest.raises(ServerNotFound):
        vault.put(bob, "acme-weather", "NEW_ONE", "planted")
    with pytest.raises(ServerNotFound):
        vault.delete(bob, "acme-weather", "API_TOKEN")
    with pytest.raises(ServerNotFound):
        vault.list_names(bob, "acme-weather")
    assert snapshot(ctx.db) == before


def test_an_admin_manages_any_servers_secrets(
    vault: VaultService, alice: Actor, ctx: AppContext
) -> None:
    root = owner(ctx, "root@example.com", admin=True)
    _, created = vault.put(root, "acme-weather", "API_TOKEN", TOKEN)
    assert created is True
    assert [i.name for i in vault.list_names(alice, "acme-weather")] == ["API_TOKEN"]


def test_deleting_the_server_deletes_its_secrets(
    vault: VaultService, alice: Actor, ctx: AppContext
) -> None:
    vault.put(alice, "acme-weather", "API_TOKEN", TOKEN)
    server = server_of(ctx, alice, "acme-weather")
    ctx.servers.delete(alice, "acme-weather")
    assert sealed_rows(ctx) == {}
    assert vault.load_env(server.id) == {}


def test_two_racing_writers_cannot_pass_the_cap_together(
    vault: VaultService, alice: Actor, ctx: AppContext
) -> None:
    for i in range(MAX_SECRETS - 1):
        vault.put(alice, "acme-weather", f"S{i:03}", "v")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(name: str) -> None:
        barrier.wait()
        try:
            vault.put(alice, "acme-weather", name, "v")
            outcomes.append("created")
        except SecretLimitReached:
            outcomes.append("refused")

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("RACE_A", "RACE_B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["created", "refused"]
    assert len(vault.list_names(alice, "acme-weather")) == MAX_SECRETS
