"""Dialogue: conversations (tracker state), ordered turns, bookings.

Mirrors subgraphs/dialogue/tables.py. Written by hand: migrations never
import application code, so this file stays valid when the tables evolve.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dialogue_conversations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("domain", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("turn_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("applied_index", sa.Integer, nullable=False, server_default="-1"),
        sa.Column("lock_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("slots", sa.JSON, nullable=False),
        sa.Column("active_form", sa.String(100)),
        sa.Column("requested_slot", sa.String(100)),
        sa.Column("last_action", sa.String(100)),
    )
    op.create_table(
        "dialogue_turns",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(64),
            sa.ForeignKey(
                "dialogue_conversations.id",
                ondelete="CASCADE",
                name="fk_dialogue_turns_conversation",
            ),
            nullable=False,
        ),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("understanding", sa.JSON),
        sa.Column("slots_after", sa.JSON),
        sa.Column("action", sa.JSON),
        sa.Column("actions", sa.JSON),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint(
            "conversation_id", "index", name="uq_dialogue_turns_conversation_index"
        ),
    )
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
    op.drop_table("dialogue_turns")
    op.drop_table("dialogue_conversations")
