from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.cli.helpers import Cli
from toolkeep.cli.main import app
from toolkeep.store import migrate


def test_db_upgrade_migrates_to_head_and_is_idempotent(cli: Cli) -> None:
    first = cli("db", "upgrade")
    second = cli("db", "upgrade")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    head = migrate.head()
    assert head is not None
    assert f"revision {head} (head)" in first.stdout
    assert first.stdout == second.stdout


def test_db_current_reports_head_after_an_upgrade(cli: Cli) -> None:
    cli("db", "upgrade")

    result = cli("db", "current")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{migrate.head()} (head)"


def test_db_current_on_a_new_sqlite_database_says_it_is_not_initialized(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    runner = CliRunner(env={"TOOLKEEP_DATA_DIR": str(fresh), "TOOLKEEP_DATABASE_URL": None})

    result = runner.invoke(app, ["db", "current"])

    assert result.exit_code == 0, result.output
    assert "not initialized" in result.stdout
    assert (fresh / "toolkeep.db").exists()


def test_an_unreachable_database_is_unavailable_and_its_password_never_printed(
    tmp_path: Path,
) -> None:
    url = "postgresql+psycopg://toolkeep:hunter2hunter2@127.0.0.1:1/toolkeep"
    runner = CliRunner()

    result = runner.invoke(
        app, ["--data-dir", str(tmp_path), "--database-url", url, "db", "upgrade"]
    )

    assert result.exit_code == 1
    assert result.stderr.startswith("error[unavailable]: ")
    assert "hunter2" not in result.output
    assert "Traceback" not in result.output
