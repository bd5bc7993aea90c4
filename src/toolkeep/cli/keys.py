"""``toolkeep keys``: the API keys of a server: create, list, revoke, roll."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from toolkeep.api import presenters
from toolkeep.api.schemas import KeyOut, RollOut
from toolkeep.cli import output
from toolkeep.cli.runtime import OPERATOR, operate
from toolkeep.keys.errors import InvalidExpiry
from toolkeep.keys.models import GRACE_PERIODS, REVOKE_REASONS

app = typer.Typer(help="API keys of a server (tk_...).", no_args_is_help=True)

Subdomain = Annotated[str, typer.Argument(help="The server's subdomain.")]
Kid = Annotated[str, typer.Argument(help="The key's kid (see `keys list`).")]
_GRACES = ", ".join(GRACE_PERIODS)


@app.command()
def create(
    cli: typer.Context,
    subdomain: Subdomain,
    label: Annotated[str, typer.Option("--label", help="Unique among active keys, 1-64 chars.")],
    expires_at: Annotated[
        str | None,
        typer.Option("--expires-at", help="ISO 8601 with a zone, e.g. 2027-01-01T00:00Z."),
    ] = None,
    as_json: output.JsonFlag = False,
) -> None:
    """Mint a key. It is printed once, here, and never again."""
    expiry = _parse_expiry(expires_at)
    with operate(cli) as ctx:
        minted = ctx.keys.create(OPERATOR, subdomain, label, expiry)
        server = ctx.servers.get(OPERATOR, subdomain)
        view = presenters.minted_out(minted, server, ctx.clock(), {})
    if as_json:
        output.emit_json(view)
        return
    typer.echo(f"Created key '{view.label}' (kid {view.kid}) on {subdomain}:")
    output.show_once("key", view.key)
    _mention_expiry(view)
    _warn_if_dormant(view)


@app.command("list")
def list_keys(cli: typer.Context, subdomain: Subdomain, as_json: output.JsonFlag = False) -> None:
    """List a server's keys, masked (a key is never shown after it is created)."""
    with operate(cli) as ctx:
        server, found = ctx.keys.list_keys(OPERATOR, subdomain)
        creators = ctx.accounts.emails({k.created_by for k in found if k.created_by})
        now = ctx.clock()
        views = [presenters.key_out(k, server, now, creators) for k in found]
    if as_json:
        output.emit_json(views)
        return
    headers = ["KID", "LABEL", "MASKED", "STATUS", "CREATED", "CREATED BY", "LAST USED", "EXPIRES"]
    output.table(headers, [_row(v) for v in views], empty=f"No keys on {subdomain}.")
    if views:
        _warn_if_dormant(views[0])


@app.command()
def revoke(
    cli: typer.Context,
    subdomain: Subdomain,
    kid: Kid,
    reason: Annotated[str, typer.Option("--reason", help=" | ".join(REVOKE_REASONS))] = "owner",
    as_json: output.JsonFlag = False,
) -> None:
    """Revoke a key at once: the very next request with it is refused (idempotent)."""
    with operate(cli) as ctx:
        key = ctx.keys.revoke(OPERATOR, subdomain, kid, reason)
        server = ctx.servers.get(OPERATOR, subdomain)
        view = presenters.key_out(key, server, ctx.clock(), {})
    if as_json:
        output.emit_json(view)
        return
    typer.echo(
        f"Key {kid} ('{view.label}') on {subdomain} is revoked "
        f"since {output.when(view.revoked_at)} (reason: {view.revoke_reason})."
    )


@app.command()
def roll(
    cli: typer.Context,
    subdomain: Subdomain,
    kid: Kid,
    grace: Annotated[
        str, typer.Option("--grace", help=f"How long the old key keeps working: {_GRACES}.")
    ] = "24h",
    as_json: output.JsonFlag = False,
) -> None:
    """Mint a replacement (same label) now; the old key stops working after --grace."""
    with operate(cli) as ctx:
        result = ctx.keys.roll(OPERATOR, subdomain, kid, grace)
        server = ctx.servers.get(OPERATOR, subdomain)
        now = ctx.clock()
        view = RollOut(
            old=presenters.key_out(result.old, server, now, {}),
            new=presenters.minted_out(result.new, server, now, {}),
        )
    if as_json:
        output.emit_json(view)
        return
    typer.echo(f"New key '{view.new.label}' (kid {view.new.kid}) on {subdomain}:")
    output.show_once("key", view.new.key)
    ends = view.old.expires_at
    if ends is not None and ends <= now:
        typer.echo(f"The old key {kid} has stopped working.")
    else:
        typer.echo(f"The old key {kid} keeps working until {output.when(ends)}.")


def _parse_expiry(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidExpiry(
            f"'{value}' is not an ISO 8601 time; use e.g. 2027-01-01T00:00:00Z.",
            field="expires_at",
        ) from None


def _row(view: KeyOut) -> list[str]:
    used = output.when(view.last_used_at, "never")
    extra = " ".join(x for x in (view.last_used_ip, view.last_used_client) if x)
    return [
        view.kid,
        view.label,
        view.masked,
        view.status,
        output.when(view.created_at),
        view.created_by or "-",
        f"{used} {extra}".strip(),
        output.when(view.expires_at, "never"),
    ]


def _mention_expiry(view: KeyOut) -> None:
    if view.expires_at is not None:
        typer.echo(f"It expires at {output.when(view.expires_at)}.")


def _warn_if_dormant(view: KeyOut) -> None:
    if not view.enforced:
        typer.secho(
            "Note: this server is not in api_key mode, so its keys are dormant (not checked).",
            err=True,
            fg=typer.colors.YELLOW,
        )
