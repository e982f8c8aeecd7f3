"""Read-only views of stored conversations and turns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Row

from .tables import DONE, SKIPPED
from .tracker import ActionRecord, DialogueState


@dataclass(frozen=True)
class TurnView:
    id: str
    conversation_id: str
    index: int
    text: str
    status: str
    created_at: datetime
    understanding: dict[str, Any] | None
    slots_after: dict[str, Any] | None
    action: ActionRecord | None
    actions: list[ActionRecord]

    @property
    def settled(self) -> bool:
        return self.status in (DONE, SKIPPED)


@dataclass(frozen=True)
class ConversationView:
    id: str
    created_at: datetime
    turn_count: int
    applied_index: int
    state: DialogueState


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything is stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def turn_view(row: Row) -> TurnView:
    return TurnView(
        id=row.id,
        conversation_id=row.conversation_id,
        index=row._mapping["index"],
        text=row.text,
        status=row.status,
        created_at=aware(row.created_at),
        understanding=row.understanding,
        slots_after=row.slots_after,
        action=ActionRecord.from_json(row.action) if row.action else None,
        actions=[ActionRecord.from_json(a) for a in row.actions or []],
    )
