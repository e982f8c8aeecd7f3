"""The features subgraph's tables (migrations 0001, 0002).

`fraud_card_events` is this subgraph's own copy of each card's history (what the
features need of a transaction); `fraud_features` keeps every computed row, so a
transaction's features are computed once and read back the same afterwards.
`fraud_card_stats` and `fraud_card_places` are what the features need of the events,
kept up to date in the transaction that stores each batch (see `store`).
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

# Migration 0002: what the features need of a card's history, kept up to date per
# transaction so that a batch reads one row per card instead of the card's events.
card_stats = sa.Table(
    "fraud_card_stats",
    metadata,
    sa.Column("card_id", sa.String(64), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("mean", sa.Float, nullable=False),
    sa.Column("m2", sa.Float, nullable=False),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_id", sa.String(36), nullable=False),
    # microseconds since the epoch of the card's transactions in the hour before last_at
    sa.Column("recent", sa.JSON, nullable=False),
)

# the merchants ("m") and countries ("c") a card has paid at: looked up per transaction
card_places = sa.Table(
    "fraud_card_places",
    metadata,
    sa.Column("card_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(1), primary_key=True),
    sa.Column("place", sa.String(200), primary_key=True),
)
