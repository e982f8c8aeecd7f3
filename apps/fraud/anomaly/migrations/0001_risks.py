"""Anomaly: each transaction's risk score, with the model version that gave it.

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
        "fraud_risks",
        sa.Column("transaction_id", sa.String(36), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("model_name", sa.String(100), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fraud_risks")
