"""The alerting subgraph's table (migration 0001): at most one alert per transaction.

`status` is the analyst's verdict (open, fraud, legitimate): the labels the next
training run of the anomaly model can learn from.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

alerts = sa.Table(
    "fraud_alerts",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("transaction_id", sa.String(36), nullable=False, unique=True),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
)
