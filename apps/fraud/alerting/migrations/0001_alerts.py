"""Alerting: one alert per transaction at most, with the analyst's verdict.

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
        "fraud_alerts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("transaction_id", sa.String(36), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("transaction_id", name="uq_fraud_alerts_transaction_id"),
    )
    op.create_index("ix_fraud_alerts_status", "fraud_alerts", ["status"])


def downgrade() -> None:
    op.drop_index("ix_fraud_alerts_status", table_name="fraud_alerts")
    op.drop_table("fraud_alerts")
