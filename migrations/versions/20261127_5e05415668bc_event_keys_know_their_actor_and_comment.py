"""event keys know their actor and comment

Revision ID: 5e05415668bc
Revises: 1d5c3a885c02
Create Date: 2026-11-27 09:08:55.601240
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e05415668bc"
down_revision: str | Sequence[str] | None = "1d5c3a885c02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_key", sa.String(length=96), nullable=True))
        batch_op.add_column(
            sa.Column(
                "comment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_processed_events_actor_key"), ["actor_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_processed_events_comment_id"), ["comment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_processed_events_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_events_created_at"))
        batch_op.drop_index(batch_op.f("ix_processed_events_comment_id"))
        batch_op.drop_index(batch_op.f("ix_processed_events_actor_key"))
        batch_op.drop_column("comment_id")
        batch_op.drop_column("actor_key")
