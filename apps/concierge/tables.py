"""The concierge's own table: the bookings its custom actions write.

A booking belongs to a dialogue conversation and to the turn that created it;
the table keeps its historical name, `dialogue_bookings`.
"""

from __future__ import annotations

import sqlalchemy as sa

from subgraphs.dialogue.tables import conversations, turns

metadata = sa.MetaData()

CONFIRMED = "confirmed"
CANCELLED = "cancelled"

bookings = sa.Table(
    "dialogue_bookings",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey(
            conversations.c.id, ondelete="CASCADE", name="fk_dialogue_bookings_conversation"
        ),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "turn_id",
        sa.String(64),
        sa.ForeignKey(turns.c.id, name="fk_dialogue_bookings_turn"),
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
