"""GraphQL schema of the dialogue subgraph (see the pipeline contract in ARCHITECTURE.md).

The dialogue owns `Conversation` and `Turn`. `Turn.action` `@requires` the
NLU's understanding: the router resolves it through `_entities` with the
understanding in the representation, and the policy runs there, once per
turn (see store.py for ordering and idempotency).

Applications add fields to `Query` and `Conversation` (extension.py), so the
schema is built per app by `build_schema(extensions)`: the `Conversation` and
`Turn` classes in the schema are built there, with the extensions' fields, on
the base types below (`ConversationFields`, `TurnHead`, `TurnTail`), which
never appear in the schema themselves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Any

import strawberry
from pydantic import ValidationError
from strawberry.tools import merge_types
from strawberry.types import Info

from subgraphs.dialogue.extension import DialogueExtension
from subgraphs.dialogue.graphql_types import (
    Action,
    SlotValue,
    TurnStatus,
    Understanding,
    slot_values,
)
from subgraphs.dialogue.service import DialogueService
from subgraphs.dialogue.store import ConversationNotFound, TurnNotFound
from subgraphs.dialogue.tracker import UnderstandingIn
from subgraphs.dialogue.views import ConversationView, TurnView
from subgraphs.kit import user_error

REQUIRES_UNDERSTANDING = (
    "understanding { intent { name confidence } entities { type value start end } fallback }"
)


def _service(info: Info) -> DialogueService:
    return info.context["dialogue"]


@strawberry.type(name="DialogueConversationFields")
class ConversationFields:
    """A conversation's fields; its stored state is read on first use, once per object.

    `Turn.conversation { id }` (what a client asks to continue a conversation) then
    costs no query: the turn knows its conversation's id.
    """

    id: strawberry.ID
    loaded: strawberry.Private[ConversationView | None] = None
    loading: strawberry.Private[asyncio.Future[ConversationView] | None] = None

    async def _view(self, info: Info) -> ConversationView:
        if self.loaded is None:
            if self.loading is None:  # the fields resolve concurrently: one read for all
                self.loading = asyncio.ensure_future(
                    _service(info).store.conversation(str(self.id))
                )
            self.loaded = await self.loading
        return self.loaded

    @strawberry.field
    async def created_at(self, info: Info) -> dt.datetime:
        return (await self._view(info)).created_at

    @strawberry.field
    async def turn_count(self, info: Info) -> int:
        return (await self._view(info)).turn_count

    @strawberry.field
    async def active_form(self, info: Info) -> str | None:
        return (await self._view(info)).state.active_form

    @strawberry.field
    async def requested_slot(self, info: Info) -> str | None:
        return (await self._view(info)).state.requested_slot

    @strawberry.field
    async def slots(self, info: Info) -> list[SlotValue]:
        return slot_values((await self._view(info)).state.slots, _service(info).domain)

    @classmethod
    def of(cls, view: ConversationView) -> Any:
        return cls(id=strawberry.ID(view.id), loaded=view)

    @classmethod
    async def load(cls, info: Info, conversation_id: str) -> Any:
        """The conversation as this class, or None when there is none."""
        try:
            view = await _service(info).store.conversation(conversation_id)
        except ConversationNotFound:
            return None
        return cls.of(view)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID, **_: Any) -> Any:
        conversation = await cls.load(info, str(id))
        if conversation is None:
            raise user_error(f"unknown conversation {id!r}", "NOT_FOUND")
        return conversation


@strawberry.type(name="DialogueTurnHead")
class TurnHead:
    """The fields of `Turn` before `conversation`."""

    id: strawberry.ID
    index: int
    text: str
    status: TurnStatus
    created_at: dt.datetime
    view: strawberry.Private[TurnView]
    given_understanding: strawberry.Private[Any] = None
    settling: strawberry.Private[asyncio.Future[TurnView] | None] = None

    @strawberry.federation.field(external=True)
    def understanding(self) -> Understanding | None:
        raise user_error(
            "Turn.understanding is resolved by the nlu subgraph; query it through the router",
            "RESOLVED_ELSEWHERE",
        )

    @classmethod
    def of(cls, view: TurnView, understanding: Any = None) -> Any:
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
    ) -> Any:
        store = _service(info).store
        # with an understanding the router asks for the action: the turn `say` just
        # returned here is as good as a read (`DialogueStore.said`)
        view = store.said(str(id)) if understanding is not None else None
        if view is None:
            try:
                view = await store.turn(str(id))
            except TurnNotFound:
                raise user_error(f"unknown turn {id!r}", "NOT_FOUND") from None
        return cls.of(view, understanding)


@strawberry.type(name="DialogueTurnTail")
class TurnTail:
    """The fields of `Turn` after `conversation`; on a turn, `self` also has TurnHead's."""

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

    async def _settled(self: Any, info: Info) -> TurnView:
        if self.view.settled:
            return self.view
        if self.settling is None:  # `action` and `actions` resolve concurrently: apply once
            self.settling = asyncio.ensure_future(self._settle(info))
        return await self.settling  # type: ignore[no-any-return]

    async def _settle(self: Any, info: Info) -> TurnView:
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
            self.view = await _service(info).store.resolve_action(
                str(self.id), understanding, turn=self.view
            )
        except (TurnNotFound, ConversationNotFound):
            raise user_error(f"unknown turn {self.id!r}", "NOT_FOUND") from None
        return self.view


async def _say(info: Info, text: str, conversation_id: strawberry.ID | None) -> TurnView:
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
        return await service.store.say(
            str(conversation_id) if conversation_id is not None else None, text
        )
    except ConversationNotFound:
        raise user_error(f"unknown conversation {conversation_id!r}", "NOT_FOUND") from None


def build_schema(extensions: Sequence[DialogueExtension] = ()) -> strawberry.federation.Schema:
    """The dialogue schema with the extensions' fields on `Query` and `Conversation`."""
    # `Conversation.turns` and `Turn.conversation` name each other's final class, so they
    # go on two small bases created undecorated, given their fields once both final
    # classes exist, then decorated before the final classes are. Fields keep the order
    # of the bases: TurnHead, conversation, TurnTail; ConversationFields, turns, mixins.
    mixins = tuple(e.conversation for e in extensions if e.conversation is not None)
    with_turns: Any = type("DialogueConversationTurns", (ConversationFields,), {})
    with_conversation: Any = type("DialogueTurnConversation", (TurnHead,), {})
    conversation_cls: Any = type("Conversation", (with_turns, *mixins), {})
    turn_cls: Any = type("Turn", (with_conversation, TurnTail), {})

    async def turns(root: Any, info: Info, last: int | None = None) -> list[Any]:
        views = await _service(info).store.turns_of(str(root.id))
        if last is not None:
            views = views[-last:] if last > 0 else []
        return [turn_cls.of(view) for view in views]

    async def conversation_of_turn(root: Any, info: Info) -> Any:
        # turns cascade with their conversation: it exists, its state loads if asked for
        return conversation_cls(id=strawberry.ID(root.view.conversation_id))

    with_turns.turns = strawberry.field(
        resolver=turns,
        graphql_type=list[turn_cls],
        description="Turns in order; `last` keeps only the most recent ones.",
    )
    with_conversation.conversation = strawberry.field(
        resolver=conversation_of_turn, graphql_type=conversation_cls
    )
    strawberry.type(with_turns)
    strawberry.type(with_conversation)
    conversation_cls = strawberry.federation.type(conversation_cls, keys=["id"])
    turn_cls = strawberry.federation.type(turn_cls, keys=["id"])

    async def conversation(info: Info, id: strawberry.ID) -> Any:
        return await conversation_cls.load(info, str(id))

    async def turn(info: Info, id: strawberry.ID) -> Any:
        try:
            return turn_cls.of(await _service(info).store.turn(str(id)))
        except TurnNotFound:
            return None

    async def say(info: Info, text: str, conversation_id: strawberry.ID | None = None) -> Any:
        return turn_cls.of(await _say(info, text, conversation_id))

    dialogue_query: Any = type(
        "Query",
        (),
        {
            "conversation": strawberry.field(
                resolver=conversation, graphql_type=conversation_cls | None
            ),
            "turn": strawberry.field(resolver=turn, graphql_type=turn_cls | None),
        },
    )
    mutation: Any = type(
        "Mutation",
        (),
        {
            "say": strawberry.mutation(
                resolver=say,
                graphql_type=turn_cls,
                description="Add the user's message to a conversation (a new one when the id "
                "is null). Ask for `action` (through the router) to run the dialogue policy.",
            )
        },
    )
    queries = (
        strawberry.type(dialogue_query),
        *(e.query for e in extensions if e.query is not None),
    )
    return strawberry.federation.Schema(
        query=merge_types("Query", queries) if len(queries) > 1 else queries[0],
        mutation=strawberry.type(mutation),
        types=[conversation_cls, turn_cls],
    )
