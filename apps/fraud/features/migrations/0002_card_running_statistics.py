"""Features: each card's running statistics and the places it has paid at.

Cards with history from before this revision get their statistics on their next
transaction: the store rebuilds a card it has no statistics for from its events.

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
        "fraud_card_stats",
        sa.Column("card_id", sa.String(64), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("mean", sa.Float, nullable=False),
        sa.Column("m2", sa.Float, nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_id", sa.String(36), nullable=False),
        sa.Column("recent", sa.JSON, nullable=False),
    )
    op.create_table(
        "fraud_card_places",
        sa.Column("card_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(1), primary_key=True),
        sa.Column("place", sa.String(200), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("fraud_card_places")
    op.drop_table("fraud_card_stats")
