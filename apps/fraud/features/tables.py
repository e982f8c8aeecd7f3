"""The features subgraph's tables (migration 0001).

`fraud_card_events` is this subgraph's own copy of each card's history (what the
features need of a transaction); `fraud_features` keeps every computed row, so a
transaction's features are computed once and read back the same afterwards.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

card_events = sa.Table(
    "fraud_card_events",
    metadata,
    sa.Column("transaction_id", sa.String(36), primary_key=True),
    sa.Column("card_id", sa.String(64), nullable=False, index=True),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
    sa.Column("amount_eur", sa.Float, nullable=False),
    sa.Column("merchant", sa.String(200), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
)

features = sa.Table(
    "fraud_features",
    metadata,
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
