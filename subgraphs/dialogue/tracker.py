"""What the policy reads and writes: conversation state, the actions it ran, their events.

The store loads a `DialogueState`, the policy returns a `TurnOutcome`, and the
store writes the outcome (state, actions) in the transaction in which custom
actions wrote theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class IntentIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1)
    confidence: float = 1.0


class EntityIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    value: Any = None
    start: int | None = None
    end: int | None = None


class UnderstandingIn(BaseModel):
    """The part of the NLU's `Understanding` the dialogue `@requires`."""

    model_config = ConfigDict(extra="ignore")
    intent: IntentIn
    entities: list[EntityIn] = []
    fallback: bool = False


@dataclass
class DialogueState:
    """A conversation's memory between turns."""

    slots: dict[str, Any] = field(default_factory=dict)
    active_form: str | None = None
    requested_slot: str | None = None
    last_action: str | None = None

    def copy(self) -> DialogueState:
        return DialogueState(
            dict(self.slots), self.active_form, self.requested_slot, self.last_action
        )


@dataclass(frozen=True)
class ActionRecord:
    """One action the policy ran, with the state right after it."""

    name: str
    slots: dict[str, Any]
    active_form: str | None
    requested_slot: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "slots": self.slots,
            "activeForm": self.active_form,
            "requestedSlot": self.requested_slot,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ActionRecord:
        return cls(data["name"], dict(data["slots"]), data["activeForm"], data["requestedSlot"])


@dataclass
class TurnOutcome:
    actions: list[ActionRecord]
    state: DialogueState
    events: list[object]  # what custom actions reported doing, in order
    truncated: bool = False

    @property
    def final(self) -> ActionRecord:
        return self.actions[-1]
