"""Dialogue: conversations (tracker state) and ordered turns.

Mirrors subgraphs/dialogue/tables.py. Written by hand: migrations never
import application code, so this file stays valid when the tables evolve.
The first revision of the dialogue history; it keeps the id it had in the
single chain that ended at 0003 (see migrations/legacy.py), and no longer
creates an application's tables (each application's own history does).

Revision ID: 0002
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = None
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


def downgrade() -> None:
    op.drop_table("dialogue_turns")
    op.drop_table("dialogue_conversations")
