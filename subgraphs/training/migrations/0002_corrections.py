"""Corrections of turns' understanding (the feedback loop), and jobs that include them.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_corrections",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("turn_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("intent", sa.String(128), nullable=False),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("said", sa.JSON, nullable=True),
        sa.Column("corrected_by", sa.String(255), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_training_corrections_model_at", "training_corrections", ["model", "corrected_at"]
    )
    op.create_index("ix_training_corrections_turn", "training_corrections", ["turn_id"])
    with op.batch_alter_table("training_jobs") as batch:
        batch.add_column(
            sa.Column("with_corrections", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("corrections_used", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("training_jobs") as batch:
        batch.drop_column("corrections_used")
        batch.drop_column("with_corrections")
    op.drop_index("ix_training_corrections_turn", table_name="training_corrections")
    op.drop_index("ix_training_corrections_model_at", table_name="training_corrections")
    op.drop_table("training_corrections")
