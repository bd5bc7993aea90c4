"""Alembic environment: runs against the URL passed in the config's attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from toolkeep.store.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("toolkeep migrations run through toolkeep.store.migrate")
_run(connection)
