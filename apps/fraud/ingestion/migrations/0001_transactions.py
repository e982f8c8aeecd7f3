"""Ingestion: the submitted transactions, unique by the client's idempotency key.

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
        "fraud_transactions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("client_key", sa.String(200), nullable=False),
        sa.Column("amount", sa.Float, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("merchant", sa.String(200), nullable=False),
        sa.Column("merchant_category", sa.String(64), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("card_id", sa.String(64), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("client_key", name="uq_fraud_transactions_client_key"),
    )
    op.create_index("ix_fraud_transactions_card_id", "fraud_transactions", ["card_id"])


def downgrade() -> None:
    op.drop_index("ix_fraud_transactions_card_id", table_name="fraud_transactions")
    op.drop_table("fraud_transactions")
