"""Serialising the writers of one conversation.

Every transaction that changes a conversation (a new turn, applying turns)
starts by locking the conversation's row, so two requests for one
conversation, in one process or in several replicas, take turns.

- PostgreSQL: `SELECT ... FOR UPDATE` on the row, held to commit; other
  conversations are not blocked.
- SQLite (and databases without row locks): the first statement is a write
  (bumping `lock_seq`). That takes the database's write lock before anything
  is read, which is what `BEGIN IMMEDIATE` would do, and works whatever way
  the driver begins its transactions. A read first would see a snapshot that
  may be stale by the time the write lock is granted.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import conversations


async def lock_conversation(conn: AsyncConnection, conversation_id: str) -> Row | None:
    """Lock and return the conversation row (None when it does not exist)."""
    if conn.dialect.name == "postgresql":
        query = sa.select(conversations).where(conversations.c.id == conversation_id)
        return (await conn.execute(query.with_for_update())).first()
    touch = (
        sa.update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(lock_seq=conversations.c.lock_seq + 1)
        .returning(*conversations.c)
    )
    return (await conn.execute(touch)).first()
