"""The generation subgraph's GraphQL schema (Federation 2).

`Turn.reply` requires the turn's `text` and `action` from the dialogue
subgraph: the action picks the response, the text is what FAQ retrieval
compares against the bank. Resolvers find the runtime in the context under
"runtime" (see app.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from models.batching import Overloaded
from models.generation import reply as values
from models.generation.responder import ReplyRequest
from subgraphs.generation.generator import GeneratorModel, served_generator
from subgraphs.generation.runtime import GenerationRuntime, NotReady
from subgraphs.generation.service import ReplyUnavailable, turn_seed
from subgraphs.generation.settings import GenerationSettings
from subgraphs.kit import ModelRef, model_stats_field, overloaded, reload_mutation, user_error

REPLY_REQUIRES = "text action { name slots { name value } }"


@strawberry.federation.type(shareable=True)
class SlotValue:
    name: str
    value: str | None


@strawberry.federation.type(shareable=True)
class Action:
    name: str
    slots: list[SlotValue]


@strawberry.type(
    description="What the assistant says; source is template, retrieval, generative or none."
)
class Reply:
    text: str
    source: str
    model: ModelRef | None


@strawberry.type(
    description=(
        "One step of a streamed reply: `text` is all shown so far, `delta` what this "
        "chunk adds. `reset` replaces everything shown before (the slot guard rejected "
        "the generated text). The last chunk has `done` and the final `reply`."
    )
)
class ReplyChunk:
    turn_id: strawberry.ID | None
    delta: str
    text: str
    done: bool
    reset: bool
    reply: Reply | None


@strawberry.type
class GenerationModels:
    templates: ModelRef
    retrieval: ModelRef | None
    generator: ModelRef | None


@strawberry.input
class SlotValueInput:
    name: str
    value: str | None = None


@strawberry.input
class ActionInput:
    name: str
    slots: list[SlotValueInput] = strawberry.field(default_factory=list)


@strawberry.federation.type(keys=["id"])
class Turn:
    id: strawberry.ID
    text: str | None = strawberry.federation.field(external=True, graphql_type=str)
    action: Action | None = strawberry.federation.field(external=True, graphql_type=Action | None)

    @strawberry.federation.field(requires=[REPLY_REQUIRES])
    async def reply(self, info: Info) -> Reply | None:
        """Nullable on purpose: when no reply can be produced (this subgraph down or
        overloaded) the router returns the rest of the turn with an error on `reply`."""
        request = None
        if self.action is not None:
            request = ReplyRequest(
                action=self.action.name,
                slots={s.name: s.value for s in self.action.slots},
                text=self.text,
                seed=turn_seed(str(self.id)),
            )
        try:
            return _reply(await _runtime(info).service.reply(str(self.id), request))
        except ReplyUnavailable as exc:
            raise user_error(str(exc), code="REPLY_UNAVAILABLE") from exc
        except Overloaded as exc:
            raise overloaded(str(exc)) from exc

    @classmethod
    def resolve_reference(
        cls, id: strawberry.ID, text: str | None = None, action: Any = None, **_: Any
    ) -> Turn:
        return cls(id=id, text=text, action=_action(action))


@strawberry.type
class Query:
    @strawberry.field(description="Reply to an action directly, without a turn (nothing stored).")
    async def generate(
        self, info: Info, action: ActionInput, text: str | None = None, seed: int = 0
    ) -> Reply:
        try:
            reply = await _runtime(info).service.responder.respond(_request(action, text, seed))
        except Overloaded as exc:
            raise overloaded(str(exc)) from exc
        return _reply(reply)

    @strawberry.field(description="The stored reply of a turn, if it has one.")
    async def stored_reply(self, info: Info, turn_id: strawberry.ID) -> Reply | None:
        stored = await _runtime(info).service.store.get(str(turn_id))
        return _reply(stored.reply) if stored else None

    generation_model_stats = model_stats_field(
        default="generation",
        description="How each generator version did over the recent window (compare a "
        "candidate with production): requests, latency percentiles, guard fallback rate.",
    )

    @strawberry.field(description="Which models answer: templates, retrieval, generator.")
    def generation_models(self, info: Info) -> GenerationModels:
        responder = _runtime(info).service.responder
        return GenerationModels(
            templates=ModelRef(
                name=responder.template_model.name, version=responder.template_model.version
            ),
            retrieval=_model(responder.retrieval_model),
            generator=_model(responder.generator_model),
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Stream a reply. With `turnId`, the turn's reply: the stored one, the one being "
            "generated, or (given `action`) a new one that is stored for the turn. Without "
            "`turnId`, a reply to `action` that is not stored."
        )
    )
    async def reply_stream(
        self,
        info: Info,
        turn_id: strawberry.ID | None = None,
        action: ActionInput | None = None,
        text: str | None = None,
        seed: int | None = None,
    ) -> AsyncGenerator[ReplyChunk, None]:
        runtime = _runtime(info)
        if turn_id is None:
            if action is None:
                raise user_error("replyStream needs a turnId or an action")
            chunks = runtime.service.responder.stream(_request(action, text, seed or 0))
        else:
            request = None
            if action is not None:
                request = _request(action, text, turn_seed(str(turn_id)) if seed is None else seed)
            chunks = runtime.service.stream(str(turn_id), request)
        try:
            async for chunk in chunks:
                yield ReplyChunk(
                    turn_id=turn_id,
                    delta=chunk.delta,
                    text=chunk.text,
                    done=chunk.done,
                    reset=chunk.reset,
                    reply=_reply(chunk.reply) if chunk.reply else None,
                )
        except ReplyUnavailable as exc:
            raise user_error(str(exc), code="REPLY_UNAVAILABLE") from exc
        except Overloaded as exc:
            raise overloaded(str(exc)) from exc


def build_schema(generator: GeneratorModel | None = None) -> strawberry.federation.Schema:
    """The schema; its admin mutation switches `generator`'s version (from the settings if None)."""
    generator = generator or served_generator(GenerationSettings())

    @strawberry.type
    class Mutation:
        use_generation_model = reload_mutation(
            generator,
            description="Serve another registered generator version (the production one when "
            "omitted); in-flight requests finish; needs the models:write scope.",
        )

    return strawberry.federation.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, types=[Turn]
    )


def _runtime(info: Info) -> GenerationRuntime:
    runtime: GenerationRuntime = info.context["runtime"]
    try:
        runtime.service  # noqa: B018 - raises NotReady while loading
    except NotReady as exc:
        raise GraphQLError(str(exc), extensions={"code": "NOT_READY"}) from exc
    return runtime


def _request(action: ActionInput, text: str | None, seed: int) -> ReplyRequest:
    if not action.name.strip():
        raise user_error("action.name must not be empty")
    return ReplyRequest(
        action=action.name, slots={s.name: s.value for s in action.slots}, text=text, seed=seed
    )


def _action(raw: Any) -> Action | None:
    """The `action` of an entity representation (a plain dict from the router)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return None
    slots = [
        SlotValue(name=str(s["name"]), value=None if s.get("value") is None else str(s["value"]))
        for s in raw.get("slots") or []
        if isinstance(s, dict) and "name" in s
    ]
    return Action(name=raw["name"], slots=slots)


def _model(ref: values.ModelRef | None) -> ModelRef | None:
    return ModelRef(name=ref.name, version=ref.version) if ref else None


def _reply(reply: values.Reply) -> Reply:
    return Reply(text=reply.text, source=reply.source, model=_model(reply.model))
