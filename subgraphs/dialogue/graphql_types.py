"""Value types of the dialogue schema.

The ones that cross subgraphs (ModelRef, Intent, Entity, Understanding,
SlotValue, Action) are `@shareable` and spelled exactly as in the pipeline
contract (ARCHITECTURE.md).
"""

from __future__ import annotations

import enum
from typing import Any

import strawberry

from subgraphs.dialogue.domain import Domain
from subgraphs.dialogue.tracker import ActionRecord


@strawberry.federation.type(shareable=True)
class ModelRef:
    name: str
    version: str


@strawberry.federation.type(shareable=True)
class Intent:
    name: str
    confidence: float


@strawberry.federation.type(shareable=True)
class Entity:
    type: str
    value: str
    text: str
    start: int
    end: int
    confidence: float
    extractor: str


@strawberry.federation.type(shareable=True)
class Understanding:
    text: str
    intent: Intent
    ranking: list[Intent]
    entities: list[Entity]
    fallback: bool
    model: ModelRef


@strawberry.federation.type(shareable=True)
class SlotValue:
    name: str
    value: str | None


@strawberry.federation.type(shareable=True)
class Action:
    name: str
    slots: list[SlotValue]
    active_form: str | None
    requested_slot: str | None

    @classmethod
    def of(cls, record: ActionRecord, domain: Domain) -> Action:
        return cls(
            name=record.name,
            slots=slot_values(record.slots, domain),
            active_form=record.active_form,
            requested_slot=record.requested_slot,
        )


def slot_values(slots: dict[str, Any], domain: Domain) -> list[SlotValue]:
    """Every domain slot in domain order, values as strings (null when unset)."""
    return [SlotValue(name=name, value=_text(slots.get(name))) for name in domain.slots]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@strawberry.enum
class TurnStatus(enum.Enum):
    PENDING = "pending"
    UNDERSTOOD = "understood"
    DONE = "done"
    SKIPPED = "skipped"
