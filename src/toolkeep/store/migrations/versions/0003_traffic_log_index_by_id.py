"""traffic_log: index (server_id, id) instead of (server_id, at)

The log is read newest first per server (``ORDER BY id DESC LIMIT n``, paged with
``id < before_id``); (server_id, id) serves that in index order, where (server_id, at) made
every page sort all of the server's rows. It is also a little cheaper to maintain per insert.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 04:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("traffic_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_traffic_log_server_id_at"))
        batch_op.create_index(
            batch_op.f("ix_traffic_log_server_id_id"), ["server_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("traffic_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_traffic_log_server_id_id"))
        batch_op.create_index(
            batch_op.f("ix_traffic_log_server_id_at"), ["server_id", "at"], unique=False
        )
