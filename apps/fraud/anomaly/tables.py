"""The anomaly subgraph's table (migration 0001): each transaction's risk, scored once.

A transaction keeps the score and model version it was first given, so its alert
(decided on that score) and its risk never disagree after a new version is promoted.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

risks = sa.Table(
    "fraud_risks",
    metadata,
    sa.Column("transaction_id", sa.String(36), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("model_name", sa.String(100), nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
)
