"""bounded previews and daily caps

Revision ID: 3975faa82339
Revises: 7a0f3c51d2e8
Create Date: 2026-12-01 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3975faa82339"
down_revision: str | Sequence[str] | None = "7a0f3c51d2e8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite reuses the highest id once deleted; AUTOINCREMENT stops that (see CommentDraft).
DRAFTS_ON_SQLITE = {"sqlite_autoincrement": True}


def upgrade() -> None:
    # Previews live minutes (a day at most) and old ones know no chat: they are asked again.
    op.execute("DELETE FROM comment_drafts")
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "comment_drafts",
        schema=None,
        recreate="always" if sqlite else "auto",
        table_kwargs=DRAFTS_ON_SQLITE,
    ) as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.String(length=64), nullable=False))
        batch_op.create_index(
            "uq_comment_drafts_author_chat",
            ["author_platform", "author_user_id", "chat_id"],
            unique=True,
        )

    op.create_table(
        "daily_caps",
        sa.Column("fingerprint", sa.String(length=96), nullable=False),
        sa.Column("what", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", "what", "day", name=op.f("pk_daily_caps")),
    )


def downgrade() -> None:
    op.drop_table("daily_caps")
    with op.batch_alter_table("comment_drafts", schema=None) as batch_op:
        batch_op.drop_index("uq_comment_drafts_author_chat")
        batch_op.drop_column("chat_id")
