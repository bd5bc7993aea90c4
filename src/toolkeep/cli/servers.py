"""``toolkeep servers``: create, list, show, update, delete MCP servers."""

from __future__ import annotations

from typing import Annotated

import typer

from toolkeep.api import presenters
from toolkeep.api.schemas import ServerOut
from toolkeep.cli import output
from toolkeep.cli.runtime import OPERATOR, operate, owner_actor
from toolkeep.context import AppContext
from toolkeep.servers.models import SecurityMode, ServerChanges
from toolkeep.servers.service import ServerResult

app = typer.Typer(help="MCP servers and how they are secured.", no_args_is_help=True)

Subdomain = Annotated[str, typer.Argument(help="The server's subdomain, e.g. acme-weather.")]
MODE_HELP = "Security mode; api_key requires 'Authorization: Bearer <key>' on every request."
ModeOption = Annotated[SecurityMode | None, typer.Option("--mode", help=MODE_HELP)]


@app.command()
def create(
    cli: typer.Context,
    subdomain: Subdomain,
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    owner: Annotated[str, typer.Option("--owner", help="Email of the owning user.")],
    description: Annotated[str, typer.Option("--description")] = "",
    mode: Annotated[SecurityMode, typer.Option("--mode", help=MODE_HELP)] = SecurityMode.API_KEY,
    as_json: output.JsonFlag = False,
) -> None:
    """Create a server. In api_key mode its first key is printed once."""
    with operate(cli) as ctx:
        user = ctx.accounts.get_user(owner)
        result = ctx.servers.create(
            owner_actor(user),
            name=name,
            subdomain=subdomain,
            description=description,
            security_mode=mode,
        )
        _report(ctx, result, "Created", as_json)


@app.command("list")
def list_servers(
    cli: typer.Context,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this user's servers.")] = None,
    as_json: output.JsonFlag = False,
) -> None:
    """List servers (all of them, or one owner's)."""
    with operate(cli) as ctx:
        found = ctx.servers.list_visible(OPERATOR)
        if owner is not None:
            owner_id = ctx.accounts.get_user(owner).id
            found = [s for s in found if s.owner_id == owner_id]
        emails = ctx.accounts.emails({s.owner_id for s in found})
        views = [presenters.server_out(ctx, s, emails.get(s.owner_id)) for s in found]
    if as_json:
        output.emit_json(views)
        return
    rows = [
        [v.subdomain, v.name, v.security_mode.value, v.owner or "-", v.endpoints[0]]
        for v in sorted(views, key=lambda v: v.subdomain)
    ]
    output.table(["SUBDOMAIN", "NAME", "MODE", "OWNER", "ENDPOINT"], rows, empty="No servers.")


@app.command()
def show(cli: typer.Context, subdomain: Subdomain, as_json: output.JsonFlag = False) -> None:
    """Show a server and its endpoints."""
    with operate(cli) as ctx:
        server = ctx.servers.get(OPERATOR, subdomain)
        owner = ctx.accounts.emails({server.owner_id}).get(server.owner_id)
        view = presenters.server_out(ctx, server, owner)
    if as_json:
        output.emit_json(view)
        return
    _describe(view)


@app.command()
def update(
    cli: typer.Context,
    subdomain: Subdomain,
    name: Annotated[str | None, typer.Option("--name")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    mode: ModeOption = None,
    as_json: output.JsonFlag = False,
) -> None:
    """Change fields or the security mode. Switching to api_key with no active key mints one."""
    if name is None and description is None and mode is None:
        raise typer.BadParameter("nothing to change.", param_hint="--name / --description / --mode")
    changes = ServerChanges(name=name, description=description, security_mode=mode)
    with operate(cli) as ctx:
        result = ctx.servers.update(OPERATOR, subdomain, changes)
        _report(ctx, result, "Updated", as_json)


@app.command()
def delete(
    cli: typer.Context,
    subdomain: Subdomain,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a server with its keys, tools and secrets."""
    with operate(cli) as ctx:
        ctx.servers.get(OPERATOR, subdomain)  # an unknown subdomain fails before asking
        if not yes:
            typer.confirm(
                f"Delete server '{subdomain}' with all its keys, tools and secrets?", abort=True
            )
        ctx.servers.delete(OPERATOR, subdomain)
    typer.echo(f"Deleted server {subdomain}.")


def _report(ctx: AppContext, result: ServerResult, verb: str, as_json: bool) -> None:
    view = presenters.server_with_key_out(ctx, result)
    if as_json:
        output.emit_json(view)
        return
    typer.echo(f"{verb} server {view.subdomain}.")
    _describe(view)
    if view.api_key is not None:
        typer.echo(f"\nAPI key '{view.api_key.label}' (kid {view.api_key.kid}):")
        output.show_once("key", view.api_key.key)
        typer.echo("Clients send it as 'Authorization: Bearer <key>'.")


def _describe(view: ServerOut) -> None:
    output.details(
        [
            ("Name", view.name),
            ("Subdomain", view.subdomain),
            ("Description", view.description or "-"),
            ("Mode", view.security_mode.value),
            ("Owner", view.owner or "-"),
            ("Created", output.when(view.created_at)),
            ("Updated", output.when(view.updated_at)),
        ]
    )
    output.endpoints(view.endpoints)
