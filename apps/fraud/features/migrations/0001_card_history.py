"""Features: each card's history (this subgraph's copy) and the computed features.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_card_events",
        sa.Column("transaction_id", sa.String(36), primary_key=True),
        sa.Column("card_id", sa.String(64), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount_eur", sa.Float, nullable=False),
        sa.Column("merchant", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
    )
    op.create_index("ix_fraud_card_events_card_id", "fraud_card_events", ["card_id"])
    op.create_table(
        "fraud_features",
        sa.Column("transaction_id", sa.String(36), primary_key=True),
        sa.Column("amount_eur", sa.Float, nullable=False),
        sa.Column("amount_z_score", sa.Float, nullable=False),
        sa.Column("amount_to_mean_ratio", sa.Float, nullable=False),
        sa.Column("card_history_count", sa.Integer, nullable=False),
        sa.Column("count_last_minute", sa.Integer, nullable=False),
        sa.Column("count_last_hour", sa.Integer, nullable=False),
        sa.Column("first_at_merchant", sa.Boolean, nullable=False),
        sa.Column("first_in_country", sa.Boolean, nullable=False),
        sa.Column("seconds_since_previous", sa.Float),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fraud_features")
    op.drop_index("ix_fraud_card_events_card_id", table_name="fraud_card_events")
    op.drop_table("fraud_card_events")
