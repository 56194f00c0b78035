"""cards know what they show

Revision ID: 4b7d2e9a6c31
Revises: c17e4e58bef6
Create Date: 2026-11-30 06:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b7d2e9a6c31"
down_revision: str | Sequence[str] | None = "c17e4e58bef6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("moderation_posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shows", sa.String(length=16), nullable=True))
    # Cards of comments decided before this version were edited when decided: take them as
    # showing the decision, or the first start would edit every old card again.
    op.execute(
        "UPDATE moderation_posts SET shows = (SELECT status FROM comments "
        "WHERE comments.id = moderation_posts.comment_id) "
        "WHERE comment_id IN (SELECT id FROM comments WHERE status != 'pending')"
    )


def downgrade() -> None:
    with op.batch_alter_table("moderation_posts", schema=None) as batch_op:
        batch_op.drop_column("shows")
