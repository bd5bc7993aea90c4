"""``toolkeep tokens``: personal access tokens for the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from toolkeep.accounts.models import AccessToken
from toolkeep.cli import output
from toolkeep.cli.runtime import operate

app = typer.Typer(help="Personal access tokens (tkpat_...) for the REST API.", no_args_is_help=True)

UserOption = Annotated[str, typer.Option("--user", help="Email of the token's user.")]


@app.command()
def create(
    cli: typer.Context,
    user: UserOption,
    label: Annotated[str, typer.Option("--label", help="What the token is for (1-64 chars).")],
    as_json: output.JsonFlag = False,
) -> None:
    """Mint a token for a user. It is printed once, here, and never again."""
    with operate(cli) as ctx:
        minted = ctx.accounts.create_token(user, label)
        now = ctx.clock()
    if as_json:
        output.emit_json({**_token_json(minted.token, now), "token": minted.plaintext})
        return
    token = minted.token
    typer.echo(f"Created token '{token.label}' (kid {token.kid}) for {user.strip().lower()}:")
    output.show_once("token", minted.plaintext)
    typer.echo("Use it as 'Authorization: Bearer <token>' on /api/v1.")


@app.command("list")
def list_tokens(cli: typer.Context, user: UserOption, as_json: output.JsonFlag = False) -> None:
    """List a user's tokens (masked; the token itself is never shown again)."""
    with operate(cli) as ctx:
        found = ctx.accounts.list_tokens(user)
        now = ctx.clock()
    if as_json:
        output.emit_json([_token_json(t, now) for t in found])
        return
    rows = [
        [
            t.kid,
            t.label,
            t.masked,
            output.when(t.created_at),
            output.when(t.last_used_at, "never"),
            _status(t, now),
        ]
        for t in found
    ]
    headers = ["KID", "LABEL", "MASKED", "CREATED", "LAST USED", "STATUS"]
    output.table(headers, rows, empty="No tokens.")


@app.command()
def revoke(
    cli: typer.Context,
    user: UserOption,
    kid: Annotated[str, typer.Argument(help="The token's kid (see `tokens list`).")],
) -> None:
    """Revoke a token at once."""
    with operate(cli) as ctx:
        ctx.accounts.revoke_token(user, kid)
    typer.echo(f"Revoked token {kid}.")


def _status(token: AccessToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def _token_json(token: AccessToken, now: datetime) -> dict[str, object]:
    return {
        "kid": token.kid,
        "label": token.label,
        "masked": token.masked,
        "status": _status(token, now),
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }
