"""Concierge: the bookings its booking action writes, one per confirmed form.

Before the per-owner histories this table was created by the single chain's
0002 together with the dialogue tables; a database at that chain's 0002 or 0003
is stamped at this revision (see migrations/legacy.py). It references the
dialogue history's tables, so the concierge is migrated after dialogue.

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
        "dialogue_bookings",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(64),
            sa.ForeignKey(
                "dialogue_conversations.id",
                ondelete="CASCADE",
                name="fk_dialogue_bookings_conversation",
            ),
            nullable=False,
        ),
        sa.Column(
            "turn_id",
            sa.String(64),
            sa.ForeignKey("dialogue_turns.id", name="fk_dialogue_bookings_turn"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200)),
        sa.Column("party_size", sa.Integer),
        sa.Column("date", sa.Date),
        sa.Column("time", sa.Time),
        sa.Column("cuisine", sa.String(100)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_dialogue_bookings_conversation_id", "dialogue_bookings", ["conversation_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_dialogue_bookings_conversation_id", table_name="dialogue_bookings")
    op.drop_table("dialogue_bookings")
