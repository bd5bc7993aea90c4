"""``toolkeep db``: apply migrations, show the schema revision."""

from __future__ import annotations

import typer

from toolkeep.cli.runtime import operate, safe_url
from toolkeep.store import migrate

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@app.command()
def upgrade(cli: typer.Context) -> None:
    """Migrate the database to the newest schema (safe to run again)."""
    with operate(cli, migrate_db=False) as ctx:
        migrate.upgrade(ctx.db)
        revision = migrate.current(ctx.db)
        typer.echo(f"{safe_url(ctx.settings)} is at revision {revision} (head).")


@app.command()
def current(cli: typer.Context) -> None:
    """Print the schema revision of the database and whether it is the newest."""
    with operate(cli, migrate_db=False) as ctx:
        revision = migrate.current(ctx.db)
    head = migrate.head()
    if revision is None:
        state = "not initialized; run `toolkeep db upgrade`"
    elif revision == head:
        state = "head"
    else:
        state = f"behind head {head}; run `toolkeep db upgrade`"
    typer.echo(f"{revision or '<none>'} ({state})")
