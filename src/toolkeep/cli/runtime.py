"""What every command needs: settings with the global overrides, an open context, the actor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from toolkeep.accounts.models import User
from toolkeep.actors import Actor
from toolkeep.context import AppContext, open_context
from toolkeep.errors import ConfigurationError, Unavailable
from toolkeep.settings import Settings

OPERATOR = Actor(user_id=None, name="cli", is_admin=True)
"""A local operator: whoever can run the CLI on this machine can read the database anyway."""


@dataclass(frozen=True)
class Overrides:
    """The global ``--data-dir`` / ``--database-url`` options (``None``: from the environment)."""

    data_dir: Path | None = None
    database_url: str | None = None

    def values(self) -> dict[str, Any]:
        given = {"data_dir": self.data_dir, "database_url": self.database_url}
        return {name: value for name, value in given.items() if value is not None}


def current_overrides(cli: typer.Context) -> Overrides:
    found = cli.find_object(Overrides)
    return found if found is not None else Overrides()


def load_settings(cli: typer.Context) -> Settings:
    """``Settings()`` from ``TOOLKEEP_*`` variables, overridden by the global options."""
    try:
        return Settings(**current_overrides(cli).values())
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"Invalid settings: {problems}.") from None


@contextmanager
def operate(cli: typer.Context, *, migrate_db: bool | None = None) -> Iterator[AppContext]:
    """The services over the configured database (migrated first when ``auto_migrate``)."""
    settings = load_settings(cli)
    try:
        with open_context(settings, migrate_db=migrate_db) as ctx:
            yield ctx
    except OperationalError as exc:
        raise unreachable(settings) from exc
    except ArgumentError:
        raise ConfigurationError(
            f"The database URL {safe_url(settings)} is not a valid SQLAlchemy URL."
        ) from None


def owner_actor(user: User) -> Actor:
    """The local operator acting on behalf of ``user`` (so a new server gets an owner)."""
    return Actor(user_id=user.id, name="cli", is_admin=True)


def safe_url(settings: Settings) -> str:
    """The database URL with any password hidden."""
    try:
        return make_url(settings.resolved_database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def unreachable(settings: Settings) -> Unavailable:
    return Unavailable(
        f"Cannot reach the database at {safe_url(settings)}; nothing was changed. "
        "Check --database-url / TOOLKEEP_DATABASE_URL."
    )
