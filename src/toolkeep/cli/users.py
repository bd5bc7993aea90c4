"""``toolkeep users``: create and list dashboard/API users."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from toolkeep.accounts.models import User
from toolkeep.cli import output
from toolkeep.cli.runtime import operate

app = typer.Typer(help="Users of the dashboard and the REST API.", no_args_is_help=True)


@app.command()
def create(
    cli: typer.Context,
    email: Annotated[str, typer.Argument(help="The user's email address (their login).")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from one line of stdin.")
    ] = False,
    as_json: output.JsonFlag = False,
) -> None:
    """Create a user. Without --password-stdin, asks for the password twice (hidden)."""
    password = _read_password(password_stdin)
    with operate(cli) as ctx:
        user = ctx.accounts.create_user(email, password, is_admin=admin)
    if as_json:
        output.emit_json(_user_json(user))
        return
    role = "admin" if user.is_admin else "user"
    typer.echo(f"Created {role} {user.email}.")
    typer.echo(f"Next: toolkeep tokens create --user {user.email} --label cli")


@app.command("list")
def list_users(cli: typer.Context, as_json: output.JsonFlag = False) -> None:
    """List every user."""
    with operate(cli) as ctx:
        users = sorted(ctx.accounts.list_users(), key=lambda u: u.email)
    if as_json:
        output.emit_json([_user_json(u) for u in users])
        return
    rows = [[u.email, "yes" if u.is_admin else "no", output.when(u.created_at)] for u in users]
    output.table(["EMAIL", "ADMIN", "CREATED"], rows, empty="No users yet.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _user_json(user: User) -> dict[str, object]:
    return {
        "id": str(user.id),
        "email": user.email,
        "is_admin": user.is_admin,
        "created_at": user.created_at.isoformat(),
    }
