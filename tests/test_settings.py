"""Settings: ``TOOLKEEP_*`` environment variables, defaults, and the resolved paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from toolkeep.settings import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TOOLKEEP_* variable or .env file from the developer's shell leaks in."""
    for name in list(os.environ):
        if name.upper().startswith("TOOLKEEP_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_defaults_serve_locally_from_a_toolkeep_directory() -> None:
    settings = Settings()

    assert settings.data_dir == Path(".toolkeep")
    assert settings.database_url is None
    assert settings.pepper_file is None
    assert settings.encryption_key_file is None
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.base_domain is None
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.log_level == "info"
    assert settings.auto_migrate is True
    assert settings.allowed_hosts == []
    assert settings.tool_workers is None
    assert settings.http_allow_networks == []
    assert settings.traffic_retention_days == 30
    assert settings.session_max_age_hours == 720
    assert settings.usage_flush_interval == 1.0


def test_by_default_everything_lives_under_the_data_directory(tmp_path: Path) -> None:
    settings = Settings()

    db_file = (tmp_path / ".toolkeep" / "toolkeep.db").resolve()
    assert settings.resolved_database_url == f"sqlite:///{db_file}"
    assert settings.resolved_pepper_file == Path(".toolkeep") / "pepper.key"
    assert settings.resolved_encryption_key_file == Path(".toolkeep") / "encryption.key"


def test_the_default_sqlite_url_is_an_absolute_path_under_the_working_directory(
    tmp_path: Path,
) -> None:
    url = Settings(data_dir=Path("relative")).resolved_database_url

    assert url.startswith("sqlite:////")
    assert url == f"sqlite:///{(tmp_path / 'relative' / 'toolkeep.db').resolve()}"


def test_explicit_paths_and_urls_win_over_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url="postgresql+psycopg://toolkeep@db/toolkeep",
        pepper_file=Path("/run/secrets/pepper"),
        encryption_key_file=Path("/run/secrets/aes"),
    )

    assert settings.resolved_database_url == "postgresql+psycopg://toolkeep@db/toolkeep"
    assert settings.resolved_pepper_file == Path("/run/secrets/pepper")
    assert settings.resolved_encryption_key_file == Path("/run/secrets/aes")


def test_every_setting_is_read_from_a_toolkeep_prefixed_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        "TOOLKEEP_DATA_DIR": "/var/lib/toolkeep",
        "TOOLKEEP_DATABASE_URL": "postgresql+psycopg://u:p@h/d",
        "TOOLKEEP_PEPPER_FILE": "/etc/toolkeep/pepper.key",
        "TOOLKEEP_ENCRYPTION_KEY_FILE": "/etc/toolkeep/encryption.key",
        "TOOLKEEP_BASE_URL": "https://mcp.example.com",
        "TOOLKEEP_BASE_DOMAIN": "mcp.example.com",
        "TOOLKEEP_HOST": "0.0.0.0",
        "TOOLKEEP_PORT": "9000",
        "TOOLKEEP_WORKERS": "4",
        "TOOLKEEP_LOG_LEVEL": "debug",
        "TOOLKEEP_AUTO_MIGRATE": "false",
        "TOOLKEEP_ALLOWED_HOSTS": '["mcp.internal", "10.0.0.5"]',
        "TOOLKEEP_TOOL_WORKERS": "8",
        "TOOLKEEP_USAGE_FLUSH_INTERVAL": "0.25",
        "TOOLKEEP_SESSION_MAX_AGE_HOURS": "24",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    settings = Settings()

    assert settings.data_dir == Path("/var/lib/toolkeep")
    assert settings.resolved_database_url == "postgresql+psycopg://u:p@h/d"
    assert settings.resolved_pepper_file == Path("/etc/toolkeep/pepper.key")
    assert settings.resolved_encryption_key_file == Path("/etc/toolkeep/encryption.key")
    assert settings.base_url == "https://mcp.example.com"
    assert settings.base_domain == "mcp.example.com"
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9000, 4)
    assert settings.log_level == "debug"
    assert settings.auto_migrate is False
    assert settings.allowed_hosts == ["mcp.internal", "10.0.0.5"]
    assert settings.tool_workers == 8
    assert settings.usage_flush_interval == 0.25
    assert settings.session_max_age_hours == 24


def test_every_setting_is_documented_with_its_variable_name() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()

    assert Settings.model_config.get("env_prefix") == "TOOLKEEP_"
    missing = [
        f"TOOLKEEP_{name.upper()}"
        for name in Settings.model_fields
        if f"`TOOLKEEP_{name.upper()}`" not in docs
    ]
    assert missing == [], "document these in docs/configuration.md"


def test_unprefixed_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "1234")
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")

    settings = Settings()

    assert settings.port == 8000
    assert settings.database_url is None


def test_unknown_toolkeep_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKEEP_NOT_A_SETTING", "x")
    assert Settings().port == 8000


def test_a_dot_env_file_in_the_working_directory_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("TOOLKEEP_PORT=9100\nTOOLKEEP_HOST=0.0.0.0\n")
    monkeypatch.setenv("TOOLKEEP_PORT", "9200")

    settings = Settings()

    assert settings.host == "0.0.0.0"
    assert settings.port == 9200
    assert Settings(_env_file=None).host == "127.0.0.1"


def test_the_base_url_loses_its_trailing_slash() -> None:
    assert Settings(base_url="https://mcp.example.com/").base_url == "https://mcp.example.com"


@pytest.mark.parametrize(
    ("given", "stored"),
    [(".MCP.Example.com.", "mcp.example.com"), ("", None), (None, None)],
)
def test_the_base_domain_is_normalized(given: str | None, stored: str | None) -> None:
    assert Settings(base_domain=given).base_domain == stored


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TOOLKEEP_PORT", "70000"),
        ("TOOLKEEP_PORT", "http"),
        ("TOOLKEEP_WORKERS", "0"),
        ("TOOLKEEP_SESSION_MAX_AGE_HOURS", "0"),
        ("TOOLKEEP_SESSION_MAX_AGE_HOURS", "87601"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError) as caught:
        Settings()

    assert name.removeprefix("TOOLKEEP_").lower() in str(caught.value)
