"""GraphQL schema of the dialogue subgraph (see the pipeline contract in ARCHITECTURE.md).

The dialogue owns `Conversation` and `Turn`. `Turn.action` `@requires` the
NLU's understanding: the router resolves it through `_entities` with the
understanding in the representation, and the policy runs there, once per
turn (see store.py for ordering and idempotency).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from pydantic import ValidationError
from strawberry.types import Info

from subgraphs.dialogue.graphql_types import (
    Action,
    Booking,
    SlotValue,
    TurnStatus,
    Understanding,
    slot_values,
)
from subgraphs.dialogue.service import DialogueService
from subgraphs.dialogue.store import ConversationNotFound, TurnNotFound
from subgraphs.dialogue.tracker import UnderstandingIn
from subgraphs.dialogue.views import TurnView
from subgraphs.kit import user_error

REQUIRES_UNDERSTANDING = (
    "understanding { intent { name confidence } entities { type value start end } fallback }"
)


def _service(info: Info) -> DialogueService:
    return info.context["dialogue"]


@strawberry.federation.type(keys=["id"])
class Conversation:
    id: strawberry.ID
    created_at: dt.datetime
    turn_count: int
    active_form: str | None
    requested_slot: str | None
    slots: list[SlotValue]

    @strawberry.field(description="Turns in order; `last` keeps only the most recent ones.")
    async def turns(self, info: Info, last: int | None = None) -> list[Turn]:
        views = await _service(info).store.turns_of(str(self.id))
        if last is not None:
            views = views[-last:] if last > 0 else []
        return [Turn.of(view) for view in views]

    @strawberry.field
    async def bookings(self, info: Info) -> list[Booking]:
        views = await _service(info).store.bookings(conversation_id=str(self.id))
        return [Booking.of(view) for view in views]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID, **_: Any) -> Conversation:
        conversation = await _load_conversation(info, str(id))
        if conversation is None:
            raise user_error(f"unknown conversation {id!r}", "NOT_FOUND")
        return conversation


@strawberry.federation.type(keys=["id"])
class Turn:
    id: strawberry.ID
    index: int
    text: str
    status: TurnStatus
    created_at: dt.datetime
    view: strawberry.Private[TurnView]
    given_understanding: strawberry.Private[Any] = None

    @strawberry.federation.field(external=True)
    def understanding(self) -> Understanding | None:
        raise user_error(
            "Turn.understanding is resolved by the nlu subgraph; query it through the router",
            "RESOLVED_ELSEWHERE",
        )

    @strawberry.field
    async def conversation(self, info: Info) -> Conversation:
        conversation = await _load_conversation(info, self.view.conversation_id)
        assert conversation is not None  # turns cascade with their conversation
        return conversation

    @strawberry.federation.field(
        requires=[REQUIRES_UNDERSTANDING],
        description="The last action the policy ran for this turn (the one to voice), "
        "with the slots after it. Computed once, then returned as stored.",
    )
    async def action(self, info: Info) -> Action | None:
        # Nullable like `understanding`: without an understanding (NLU down) the turn
        # still comes back, with the error on the missing part.
        view = await self._settled(info)
        assert view.action is not None
        return Action.of(view.action, _service(info).domain)

    @strawberry.federation.field(
        requires=[REQUIRES_UNDERSTANDING],
        description="Every action the policy ran for this turn, in order.",
    )
    async def actions(self, info: Info) -> list[Action] | None:
        view = await self._settled(info)
        domain = _service(info).domain
        return [Action.of(record, domain) for record in view.actions]

    async def _settled(self, info: Info) -> TurnView:
        if self.view.settled:
            return self.view
        if self.given_understanding is None:
            raise user_error(
                "Turn.action needs the turn's understanding: query it through the router "
                "(or pass `understanding` in the _entities representation)",
                "UNDERSTANDING_REQUIRED",
            )
        try:
            understanding = UnderstandingIn.model_validate(self.given_understanding)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            raise user_error(
                f"invalid understanding: {problems}", "INVALID_UNDERSTANDING"
            ) from None
        try:
            self.view = await _service(info).store.resolve_action(str(self.id), understanding)
        except (TurnNotFound, ConversationNotFound):
            raise user_error(f"unknown turn {self.id!r}", "NOT_FOUND") from None
        return self.view

    @classmethod
    def of(cls, view: TurnView, understanding: Any = None) -> Turn:
        return cls(
            id=strawberry.ID(view.id),
            index=view.index,
            text=view.text,
            status=TurnStatus(view.status),
            created_at=view.created_at,
            view=view,
            given_understanding=understanding,
        )

    @classmethod
    async def resolve_reference(
        cls, info: Info, id: strawberry.ID, understanding: Any = None, **_: Any
    ) -> Turn:
        try:
            view = await _service(info).store.turn(str(id))
        except TurnNotFound:
            raise user_error(f"unknown turn {id!r}", "NOT_FOUND") from None
        return cls.of(view, understanding)


async def _load_conversation(info: Info, conversation_id: str) -> Conversation | None:
    service = _service(info)
    try:
        view = await service.store.conversation(conversation_id)
    except ConversationNotFound:
        return None
    return Conversation(
        id=strawberry.ID(view.id),
        created_at=view.created_at,
        turn_count=view.turn_count,
        active_form=view.state.active_form,
        requested_slot=view.state.requested_slot,
        slots=slot_values(view.state.slots, service.domain),
    )


@strawberry.type
class Query:
    @strawberry.field
    async def conversation(self, info: Info, id: strawberry.ID) -> Conversation | None:
        return await _load_conversation(info, str(id))

    @strawberry.field
    async def turn(self, info: Info, id: strawberry.ID) -> Turn | None:
        try:
            return Turn.of(await _service(info).store.turn(str(id)))
        except TurnNotFound:
            return None

    @strawberry.field(description="Bookings, oldest first; filter by conversation or status.")
    async def bookings(
        self,
        info: Info,
        conversation_id: strawberry.ID | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[Booking]:
        if not 1 <= limit <= 1000:
            raise user_error("limit must be between 1 and 1000")
        views = await _service(info).store.bookings(
            conversation_id=str(conversation_id) if conversation_id is not None else None,
            status=status,
            limit=limit,
        )
        return [Booking.of(view) for view in views]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Add the user's message to a conversation (a new one when the id is "
        "null). Ask for `action` (through the router) to run the dialogue policy."
    )
    async def say(
        self, info: Info, text: str, conversation_id: strawberry.ID | None = None
    ) -> Turn:
        service = _service(info)
        limit = service.settings.max_text_length
        if not text.strip():
            raise user_error("text must not be empty")
        if len(text) > limit:
            raise user_error(
                f"text is {len(text)} characters long; the limit is {limit}",
                max_length=limit,
            )
        if conversation_id is not None and not str(conversation_id).strip():
            raise user_error("conversationId must not be empty (pass null for a new conversation)")
        try:
            view = await service.store.say(
                str(conversation_id) if conversation_id is not None else None, text
            )
        except ConversationNotFound:
            raise user_error(f"unknown conversation {conversation_id!r}", "NOT_FOUND") from None
        return Turn.of(view)


def build_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(
        query=Query,
        mutation=Mutation,
        types=[Conversation, Turn],
    )
