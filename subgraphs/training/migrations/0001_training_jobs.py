"""Training jobs: one durable row per job, claimed by one worker at a time.

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
        "training_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("dataset", sa.Text, nullable=True),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("held_out", sa.Float, nullable=False),
        sa.Column("engine", sa.String(32), nullable=False, server_default="local"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.JSON, nullable=False),
        sa.Column("log_tail", sa.JSON, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=True),
        sa.Column("candidate_name", sa.String(128), nullable=True),
        sa.Column("candidate_version", sa.String(64), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("claim", sa.String(64), nullable=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_training_jobs_status_created", "training_jobs", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_training_jobs_status_created", table_name="training_jobs")
    op.drop_table("training_jobs")
