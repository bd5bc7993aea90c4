from __future__ import annotations

import json

import pytest

from tests.cli.helpers import PASSWORD, TOKEN_RE, Cli
from toolkeep.accounts.errors import TokenInvalid
from toolkeep.context import AppContext


def test_users_create_reads_the_password_from_stdin_and_the_user_can_sign_in(
    cli: Cli, ctx: AppContext
) -> None:
    result = cli(
        "users", "create", "Ann@Example.com", "--admin", "--password-stdin", input=PASSWORD + "\n"
    )

    assert result.exit_code == 0, result.output
    assert "Created admin ann@example.com" in result.stdout
    user = ctx.accounts.check_password("ann@example.com", PASSWORD)
    assert user is not None
    assert user.is_admin


def test_users_create_without_stdin_prompts_twice_with_hidden_input(
    cli: Cli, ctx: AppContext
) -> None:
    result = cli("users", "create", "bob@example.com", input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert ctx.accounts.check_password("bob@example.com", PASSWORD) is not None
    assert not ctx.accounts.get_user("bob@example.com").is_admin


def test_a_short_password_is_refused_with_its_error_code_and_no_user_is_created(
    cli: Cli, ctx: AppContext
) -> None:
    result = cli("users", "create", "c@example.com", "--password-stdin", input="short\n")

    assert result.exit_code == 1
    assert result.stderr.startswith("error[invalid_account_field]: ")
    assert "Traceback" not in result.output
    assert ctx.accounts.count_users() == 0


def test_users_list_shows_every_user_as_a_table_or_json(cli: Cli, admin: str) -> None:
    table = cli("users", "list")
    as_json = cli("users", "list", "--json")

    assert admin in table.stdout
    assert [u["email"] for u in json.loads(as_json.stdout)] == [admin]


def test_tokens_create_prints_a_token_once_that_then_authenticates(
    cli: Cli, admin: str, ctx: AppContext
) -> None:
    result = cli("tokens", "create", "--user", admin, "--label", "laptop")

    assert result.exit_code == 0, result.output
    tokens = TOKEN_RE.findall(result.stdout)
    assert len(tokens) == 1
    assert "will not be shown again" in result.stdout
    actor = ctx.accounts.authenticate_token(tokens[0])
    assert actor.name == admin
    assert actor.is_admin


def test_tokens_list_masks_tokens_and_revoke_stops_them_working(
    cli: Cli, admin: str, ctx: AppContext
) -> None:
    created = json.loads(cli("tokens", "create", "--user", admin, "--label", "ci", "--json").stdout)
    token, kid = created["token"], created["kid"]

    listed = cli("tokens", "list", "--user", admin)
    revoked = cli("tokens", "revoke", "--user", admin, kid)

    assert kid in listed.stdout
    assert "active" in listed.stdout
    assert token not in listed.output
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(TokenInvalid):
        ctx.accounts.authenticate_token(token)
    assert json.loads(cli("tokens", "list", "--user", admin, "--json").stdout)[0]["status"] == (
        "revoked"
    )


def test_tokens_for_an_unknown_user_fail_with_user_not_found(cli: Cli) -> None:
    result = cli("tokens", "create", "--user", "ghost@example.com", "--label", "x")

    assert result.exit_code == 1
    assert result.stderr.strip() == "error[user_not_found]: No user with email 'ghost@example.com'."
