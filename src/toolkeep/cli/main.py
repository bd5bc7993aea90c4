"""The ``toolkeep`` command: wiring, global options, and the one place errors are turned into
``error[<code>]: <message>`` and exit status 1."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from toolkeep.cli import db, keys, servers, tokens, tools, users
from toolkeep.cli.apply import apply
from toolkeep.cli.runtime import Overrides
from toolkeep.cli.serve import serve
from toolkeep.errors import ToolkeepError
from toolkeep.vault import logfilter


class ToolkeepGroup(TyperGroup):
    """The root group: every expected failure of every subcommand passes through here."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context is not public
        try:
            return super().invoke(ctx)
        except ToolkeepError as exc:
            typer.echo(f"error[{exc.code}]: {exc.message}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=ToolkeepGroup,
    name="toolkeep",
    help="Toolkeep: host MCP servers and lock them with API keys.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold passwords or keys
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Directory for the SQLite database and key files (env TOOLKEEP_DATA_DIR).",
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL, default SQLite in --data-dir (env TOOLKEEP_DATABASE_URL).",
        ),
    ] = None,
) -> None:
    """Settings come from TOOLKEEP_* variables (or .env); these options override them."""
    ctx.obj = Overrides(data_dir=data_dir, database_url=database_url)


app.command()(serve)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(servers.app, name="servers")
app.add_typer(keys.app, name="keys")
app.add_typer(tools.app, name="tools")
app.command()(apply)


def main() -> None:
    logfilter.install()  # keys and tokens never reach a log line, whatever logs them
    app(prog_name="toolkeep")


if __name__ == "__main__":
    main()
