"""Generation: one stored reply per dialogue turn, so a reply is generated once.

The first revision of the generation history; it keeps the id it had in the
single chain that ended at 0003 (see migrations/legacy.py).

Revision ID: 0003
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replies",
        sa.Column("turn_id", sa.String(128), primary_key=True),
        sa.Column("action", sa.String(128), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("replies")
