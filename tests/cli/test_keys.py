from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.cli.helpers import KEY_RE, Cli, key_matches_stored_digest, kid_of, only_key, snapshot
from toolkeep.actors import SYSTEM
from toolkeep.context import AppContext
from toolkeep.settings import Settings


@pytest.fixture
def first_key(cli: Cli, admin: str) -> str:
    """Server ``weather`` in api_key mode; returns its first key."""
    result = cli("servers", "create", "weather", "--name", "Weather", "--owner", admin)
    assert result.exit_code == 0, result.output
    return only_key(result.stdout)


def _keys(cli: Cli) -> dict[str, dict[str, object]]:
    result = cli("keys", "list", "weather", "--json")
    assert result.exit_code == 0, result.output
    return {k["kid"]: k for k in json.loads(result.stdout)}


def test_keys_create_prints_a_working_key_once_that_list_shows_only_masked(
    cli: Cli, first_key: str, ctx: AppContext
) -> None:
    created = cli("keys", "create", "weather", "--label", "claude-desktop")
    key = only_key(created.stdout)
    listed = cli("keys", "list", "weather")

    assert "will not be shown again" in created.stdout
    assert key_matches_stored_digest(ctx, key)
    assert key not in listed.output
    assert first_key not in listed.output
    assert not KEY_RE.search(listed.output)
    header = listed.stdout.splitlines()[0].split()
    assert header[:5] == ["KID", "LABEL", "MASKED", "STATUS", "CREATED"]
    assert f"tk_{kid_of(key)}_…{key[-10:-6]}" in listed.stdout


def test_keys_create_with_an_expiry_records_it(cli: Cli, first_key: str) -> None:
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)

    result = cli(
        "keys",
        "create",
        "weather",
        "--label",
        "temp",
        "--expires-at",
        expires.isoformat(),
        "--json",
    )

    body = json.loads(result.stdout)
    assert datetime.fromisoformat(body["expires_at"]) == expires
    assert KEY_RE.fullmatch(body["key"])
    assert _keys(cli)[body["kid"]]["expires_at"] is not None


def test_keys_revoke_marks_the_key_revoked_with_its_reason_and_audits_it(
    cli: Cli, first_key: str, ctx: AppContext
) -> None:
    kid = kid_of(first_key)

    result = cli("keys", "revoke", "weather", kid, "--reason", "compromised")

    assert result.exit_code == 0, result.output
    listed = _keys(cli)[kid]
    assert listed["status"] == "revoked"
    assert listed["revoke_reason"] == "compromised"
    event = ctx.servers.audit_trail(SYSTEM, "weather")[0]
    assert (event.event, event.actor, event.kid) == ("key.revoked", "cli", kid)


def test_keys_roll_prints_the_replacement_once_and_when_the_old_key_stops(
    cli: Cli, first_key: str, ctx: AppContext
) -> None:
    old = kid_of(first_key)

    result = cli("keys", "roll", "weather", old, "--grace", "1h")

    assert result.exit_code == 0, result.output
    new_key = only_key(result.stdout)
    assert key_matches_stored_digest(ctx, new_key)
    assert f"The old key {old} keeps working until" in result.stdout
    keys = _keys(cli)
    assert keys[old]["status"] == "rolling"
    assert keys[old]["replaced_by"] == kid_of(new_key)
    assert keys[kid_of(new_key)]["label"] == "default"


def test_keys_roll_with_no_grace_says_the_old_key_has_stopped(cli: Cli, first_key: str) -> None:
    result = cli("keys", "roll", "weather", kid_of(first_key), "--grace", "0s")

    assert result.exit_code == 0, result.output
    assert "has stopped working" in result.stdout
    assert _keys(cli)[kid_of(first_key)]["status"] == "expired"


def test_a_bad_grace_fails_with_its_code_and_changes_nothing(
    cli: Cli, first_key: str, settings: Settings
) -> None:
    before = snapshot(settings)

    result = cli("keys", "roll", "weather", kid_of(first_key), "--grace", "2h")

    assert result.exit_code == 1
    assert result.stderr.strip() == "error[invalid_grace]: grace must be one of 0s, 1h, 24h, 7d."
    assert "Traceback" not in result.output
    assert not KEY_RE.search(result.output)
    assert snapshot(settings) == before


@pytest.mark.parametrize(
    "command",
    [
        ["keys", "create", "nope", "--label", "x"],
        ["keys", "list", "nope"],
        ["keys", "revoke", "nope", "AAAAAAAAAAAAAAAA"],
        ["keys", "roll", "nope", "AAAAAAAAAAAAAAAA"],
        ["servers", "show", "nope"],
        ["servers", "update", "nope", "--name", "X"],
        ["servers", "delete", "nope", "--yes"],
    ],
)
def test_an_unknown_subdomain_fails_with_server_not_found_and_changes_nothing(
    cli: Cli, first_key: str, settings: Settings, command: list[str]
) -> None:
    before = snapshot(settings)

    result = cli(*command)

    assert result.exit_code == 1
    assert result.stderr.startswith("error[server_not_found]: ")
    assert "Traceback" not in result.output
    assert snapshot(settings) == before


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["revoke", "weather", "AAAAAAAAAAAAAAAA"], "key_not_found"),
        (["revoke", "weather", "{kid}", "--reason", "bored"], "invalid_reason"),
        (["create", "weather", "--label", "default"], "label_taken"),
        (["create", "weather", "--label", "x", "--expires-at", "soon"], "invalid_expiry"),
        (
            ["create", "weather", "--label", "x", "--expires-at", "2030-01-01T00:00"],
            "invalid_expiry",
        ),
    ],
)
def test_key_rule_violations_print_their_error_code_and_change_nothing(
    cli: Cli, first_key: str, settings: Settings, args: list[str], code: str
) -> None:
    before = snapshot(settings)

    result = cli("keys", *(a.replace("{kid}", kid_of(first_key)) for a in args))

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error[{code}]: ")
    assert snapshot(settings) == before


def test_keys_of_a_server_outside_api_key_mode_are_listed_as_dormant(
    cli: Cli, first_key: str
) -> None:
    cli("servers", "update", "weather", "--mode", "public")

    result = cli("keys", "list", "weather")

    assert kid_of(first_key) in result.stdout
    assert "dormant" in result.stderr
    assert _keys(cli)[kid_of(first_key)]["enforced"] is False


def test_a_missing_argument_is_a_usage_error_with_exit_status_2(cli: Cli, first_key: str) -> None:
    result = cli("keys", "roll", "weather")

    assert result.exit_code == 2
    assert "error[" not in result.output
