"""The ingestion subgraph's table (migration 0001): every accepted transaction, once.

`client_key` is the client's idempotency key: submitting it again returns the
stored transaction instead of a second one.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

transactions = sa.Table(
    "fraud_transactions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("client_key", sa.String(200), nullable=False, unique=True),
    sa.Column("amount", sa.Float, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("merchant", sa.String(200), nullable=False),
    sa.Column("merchant_category", sa.String(64), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("card_id", sa.String(64), nullable=False, index=True),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
