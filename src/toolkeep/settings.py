"""Typed settings, read from ``TOOLKEEP_*`` environment variables (or a ``.env`` file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of a Toolkeep process. See ``docs/configuration.md``."""

    model_config = SettingsConfigDict(env_prefix="TOOLKEEP_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path(".toolkeep"),
        description="Directory for the SQLite database and generated key files.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL. Default: SQLite at <data_dir>/toolkeep.db. "
            "PostgreSQL: postgresql+psycopg://user:pass@host/db."
        ),
    )
    pepper_file: Path | None = Field(
        default=None,
        description=(
            "File with the versioned HMAC peppers for API keys and tokens "
            "(default <data_dir>/pepper.key; generated on first start)."
        ),
    )
    encryption_key_file: Path | None = Field(
        default=None,
        description=(
            "File with the AES-256-GCM key that encrypts secrets at rest "
            "(default <data_dir>/encryption.key; generated on first start)."
        ),
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public URL of this deployment, used to print endpoint URLs.",
    )
    base_domain: str | None = Field(
        default=None,
        description=(
            "Wildcard base domain: when set, <subdomain>.<base_domain>/mcp also serves each server."
        ),
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description=(
            "Extra Host names MCP endpoints answer to (besides base_url's host and "
            "*.base_domain); '*' disables the DNS-rebinding check. JSON list in the env var."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address `toolkeep serve` binds.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `toolkeep serve` binds.")
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes for serve.")
    log_level: str = Field(default="info", description="Log level: debug, info, warning, error.")
    tool_workers: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Sandbox worker processes, i.e. tool calls at the same time (default: CPUs).",
    )
    http_allow_networks: list[str] = Field(
        default_factory=list,
        description=(
            "Networks (CIDR) that tool code may reach with sdk.http and sdk.db although they "
            "are private/loopback, e.g. an internal API or database. JSON list in the env var."
        ),
    )
    usage_flush_interval: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="Seconds between batched writes of the traffic log and key last-used.",
    )
    traffic_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days the traffic log keeps a request (older rows are pruned hourly).",
    )
    session_max_age_hours: int = Field(
        default=720,
        ge=1,
        le=87600,
        description=(
            "Hours a legacy MCP session lives (older and ended sessions are pruned hourly)."
        ),
    )
    auto_migrate: bool = Field(
        default=True, description="Apply database migrations when the app starts."
    )

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("base_domain")
    @classmethod
    def _normalize_domain(cls, value: str | None) -> str | None:
        return value.strip(".").lower() if value else None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'toolkeep.db').resolve()}"

    @property
    def resolved_pepper_file(self) -> Path:
        return self.pepper_file or self.data_dir / "pepper.key"

    @property
    def resolved_encryption_key_file(self) -> Path:
        return self.encryption_key_file or self.data_dir / "encryption.key"
