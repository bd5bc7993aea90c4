"""Run the ``toolkeep`` CLI in-process against the test database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from tests.cli.helpers import PASSWORD, Cli
from toolkeep.cli.main import app
from toolkeep.settings import Settings


@pytest.fixture
def cli(settings: Settings) -> Cli:
    """``cli("keys", "list", "x", input=...)``: the command, pointed at the test database."""
    assert settings.database_url is not None
    runner = CliRunner()
    base = ["--data-dir", str(settings.data_dir), "--database-url", settings.database_url]

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, [*base, *args], input=input)

    return run


@pytest.fixture
def admin(cli: Cli) -> str:
    """An admin user, created through the CLI; returns the email."""
    result = cli(
        "users", "create", "admin@example.com", "--admin", "--password-stdin", input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    return "admin@example.com"
