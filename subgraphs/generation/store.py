"""Stored replies, the generation subgraph's table: generated once, read back ever after.

`put` is insert-if-absent keyed by turn id, then a read of what is stored, so
two replicas racing on the same turn both return the one reply that won.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from models.generation.reply import ModelRef, Reply

metadata = sa.MetaData()

replies = sa.Table(
    "replies",
    metadata,
    sa.Column("turn_id", sa.String(128), primary_key=True),
    sa.Column("action", sa.String(128), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("model_name", sa.String(128), nullable=True),
    sa.Column("model_version", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class StoredReply:
    turn_id: str
    action: str
    reply: Reply
    created_at: dt.datetime


class ReplyStore:
    """Reads and writes the `replies` table (created by migration 0003)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, turn_id: str) -> StoredReply | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(replies).where(replies.c.turn_id == turn_id))
            ).first()
        return _stored(row) if row is not None else None

    async def put(self, turn_id: str, action: str, reply: Reply) -> StoredReply:
        """Store `reply` unless the turn has one already; return the one that is stored."""
        values: dict[str, object] = {
            "turn_id": turn_id,
            "action": action,
            "text": reply.text,
            "source": reply.source,
            "model_name": reply.model.name if reply.model else None,
            "model_version": reply.model.version if reply.model else None,
            "created_at": dt.datetime.now(dt.UTC),
        }
        async with self.engine.begin() as conn:
            await conn.execute(_insert_if_absent(conn.dialect.name, values))
        stored = await self.get(turn_id)
        assert stored is not None, f"reply for turn {turn_id} vanished after insert"
        return stored

    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(sa.select(sa.func.count()).select_from(replies))).scalar_one()
            )


def _insert_if_absent(dialect: str, values: dict[str, object]) -> sa.Executable:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return (
            pg_insert(replies)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[replies.c.turn_id])
        )
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return (
            sqlite_insert(replies)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[replies.c.turn_id])
        )
    # Other databases: a plain insert guarded by a read (not race-free, but correct alone).
    return sa.insert(replies).from_select(
        list(values),
        sa.select(*(sa.literal(v) for v in values.values())).where(
            ~sa.exists().where(replies.c.turn_id == values["turn_id"])
        ),
    )


def _stored(row: sa.Row[Any]) -> StoredReply:
    model = None
    if row.model_name is not None:
        model = ModelRef(row.model_name, row.model_version or "")
    return StoredReply(row.turn_id, row.action, Reply(row.text, row.source, model), row.created_at)
