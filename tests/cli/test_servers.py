from __future__ import annotations

import json

import pytest

from tests.cli.helpers import KEY_RE, Cli, key_matches_stored_digest, kid_of, only_key, snapshot
from toolkeep.actors import SYSTEM
from toolkeep.context import AppContext
from toolkeep.servers.errors import ServerNotFound
from toolkeep.settings import Settings


def _create(cli: Cli, owner: str, *extra: str) -> str:
    result = cli("servers", "create", "weather", "--name", "Weather", "--owner", owner, *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_servers_create_in_api_key_mode_prints_its_first_key_once_and_never_again(
    cli: Cli, admin: str, ctx: AppContext
) -> None:
    created = _create(cli, admin)
    key = only_key(created)

    assert "will not be shown again" in created
    assert "http://127.0.0.1:8000/s/weather/mcp" in created
    assert key_matches_stored_digest(ctx, key)
    later = [
        cli("keys", "list", "weather"),
        cli("keys", "list", "weather", "--json"),
        cli("servers", "show", "weather"),
        cli("servers", "show", "weather", "--json"),
        cli("servers", "list"),
        cli("servers", "list", "--json"),
    ]
    for result in later:
        assert result.exit_code == 0, result.output
        assert key not in result.output
        assert not KEY_RE.search(result.output)
    assert kid_of(key) in later[0].stdout


def test_the_new_server_is_owned_by_the_given_user_and_audited(
    cli: Cli, admin: str, ctx: AppContext
) -> None:
    _create(cli, admin, "--description", "Forecasts")

    server = ctx.servers.get(SYSTEM, "weather")
    assert server.owner_id == ctx.accounts.get_user(admin).id
    assert server.description == "Forecasts"
    events = [e.event for e in ctx.servers.audit_trail(SYSTEM, "weather")]
    assert events == ["key.created", "server.created"]


def test_servers_create_json_includes_the_key_and_endpoints(cli: Cli, admin: str) -> None:
    result = cli("servers", "create", "weather", "--name", "Weather", "--owner", admin, "--json")

    body = json.loads(result.stdout)
    assert body["security_mode"] == "api_key"
    assert body["owner"] == admin
    assert body["endpoints"] == ["http://127.0.0.1:8000/s/weather/mcp"]
    assert KEY_RE.fullmatch(body["api_key"]["key"])
    assert body["api_key"]["label"] == "default"


def test_a_public_server_mints_no_key_until_it_switches_to_api_key(cli: Cli, admin: str) -> None:
    created = _create(cli, admin, "--mode", "public")
    switched = cli("servers", "update", "weather", "--mode", "api_key")
    again = cli("servers", "update", "weather", "--name", "Weather 2")

    assert not KEY_RE.search(created)
    assert switched.exit_code == 0, switched.output
    only_key(switched.stdout)
    assert not KEY_RE.search(again.stdout)
    assert "Weather 2" in again.stdout


def test_an_unlisted_server_prints_its_secret_endpoint(
    cli: Cli, admin: str, ctx: AppContext
) -> None:
    created = _create(cli, admin, "--mode", "unlisted")

    secret = ctx.servers.unlisted_secret(ctx.servers.get(SYSTEM, "weather"))
    assert secret is not None
    assert f"http://127.0.0.1:8000/s/weather/mcp/{secret}" in created


def test_servers_list_filters_by_owner(cli: Cli, admin: str, ctx: AppContext) -> None:
    ctx.accounts.create_user("other@example.com", "correct horse battery")
    _create(cli, admin)
    cli("servers", "create", "theirs", "--name", "Theirs", "--owner", "other@example.com")

    everything = json.loads(cli("servers", "list", "--json").stdout)
    mine = json.loads(cli("servers", "list", "--owner", admin, "--json").stdout)

    assert sorted(s["subdomain"] for s in everything) == ["theirs", "weather"]
    assert [s["subdomain"] for s in mine] == ["weather"]


def test_servers_delete_asks_first_unless_yes_is_given(
    cli: Cli, admin: str, ctx: AppContext, settings: Settings
) -> None:
    _create(cli, admin)
    before = snapshot(settings)

    declined = cli("servers", "delete", "weather", input="n\n")
    assert declined.exit_code == 1
    assert snapshot(settings) == before

    deleted = cli("servers", "delete", "weather", "--yes")
    assert deleted.exit_code == 0, deleted.output
    with pytest.raises(ServerNotFound):
        ctx.servers.get(SYSTEM, "weather")


def test_update_with_nothing_to_change_is_a_usage_error(cli: Cli, admin: str) -> None:
    _create(cli, admin)

    result = cli("servers", "update", "weather")

    assert result.exit_code == 2
    assert "nothing to change" in result.stderr


def test_a_taken_subdomain_fails_with_its_code_and_changes_nothing(
    cli: Cli, admin: str, settings: Settings
) -> None:
    _create(cli, admin)
    before = snapshot(settings)

    result = cli("servers", "create", "weather", "--name", "Again", "--owner", admin)

    assert result.exit_code == 1
    assert result.stderr.startswith("error[subdomain_taken]: ")
    assert snapshot(settings) == before
