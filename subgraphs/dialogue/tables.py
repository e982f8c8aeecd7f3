"""SQL tables of the dialogue subgraph (created by migration 0002).

`conversations` holds the tracker state and two counters: `turn_count`
(the next turn index, bumped under the row's lock by `say`) and
`applied_index` (the last turn whose action is stored or skipped; turns are
applied strictly in index order). `turns` records each message and, once the
policy ran, its understanding, the slots after it and its actions.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Turn status values.
PENDING = "pending"  # created by `say`, understanding not yet received
UNDERSTOOD = "understood"  # understanding stored, waiting for earlier turns
DONE = "done"  # policy ran, action stored
SKIPPED = "skipped"  # gave up waiting for its understanding; later turns went on

conversations = sa.Table(
    "dialogue_conversations",
    metadata,
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

turns = sa.Table(
    "dialogue_turns",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey(
            "dialogue_conversations.id", ondelete="CASCADE", name="fk_dialogue_turns_conversation"
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
    sa.UniqueConstraint("conversation_id", "index", name="uq_dialogue_turns_conversation_index"),
)
