"""replies know their subject

Revision ID: 7a0f3c51d2e8
Revises: 4b7d2e9a6c31
Create Date: 2026-11-30 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a0f3c51d2e8"
down_revision: str | Sequence[str] | None = "4b7d2e9a6c31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_key", sa.String(length=96), nullable=True))
        batch_op.create_index(
            "ix_processed_events_subject_key",
            ["subject_key"],
            unique=False,
            sqlite_where=sa.text("subject_key IS NOT NULL"),
            postgresql_where=sa.text("subject_key IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.drop_index("ix_processed_events_subject_key")
        batch_op.drop_column("subject_key")
