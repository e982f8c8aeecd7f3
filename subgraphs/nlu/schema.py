"""GraphQL schema of the NLU subgraph (see the pipeline contract in ARCHITECTURE.md)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from models.nlu.understanding import Understanding as UnderstandingResult
from subgraphs.kit import ModelRef, model_stats_field, reload_mutation
from subgraphs.nlu.service import NLUService


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

    @classmethod
    def of(cls, u: UnderstandingResult) -> Understanding:
        return cls(
            text=u.text,
            intent=Intent(name=u.intent.name, confidence=u.intent.confidence),
            ranking=[Intent(name=i.name, confidence=i.confidence) for i in u.ranking],
            entities=[
                Entity(
                    type=e.type,
                    value=e.value,
                    text=e.text,
                    start=e.start,
                    end=e.end,
                    confidence=e.confidence,
                    extractor=e.extractor,
                )
                for e in u.entities
            ],
            fallback=u.fallback,
            model=ModelRef(name=u.model.name, version=u.model.version),
        )


def _service(info: Info) -> NLUService:
    return info.context["nlu"]  # type: ignore[no-any-return]


@strawberry.federation.type(keys=["id"])
class Turn:
    id: strawberry.ID
    text: str = strawberry.federation.field(external=True)

    @strawberry.federation.field(requires=["text"])
    async def understanding(self, info: Info) -> Understanding | None:
        """What the utterance means; every turn of one ``_entities`` call shares a batch.

        Nullable on purpose: if this subgraph is down or overloaded, the router still
        returns the turn (its id, text) with an error here instead of losing it all."""
        return Understanding.of(await _service(info).understand(self.text))

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID, text: str | None = None) -> Turn:
        if text is None:
            raise ValueError('Turn representation needs its text (@requires(fields: "text"))')
        _service(info).validate(text)
        return cls(id=id, text=text)


@strawberry.type
class Query:
    @strawberry.field
    async def understand(self, info: Info, text: str) -> Understanding:
        """Intent ranking and entities of one utterance."""
        return Understanding.of(await _service(info).understand(text))

    @strawberry.field
    def nlu_model(self, info: Info) -> ModelRef | None:
        """The model version serving requests (null while it loads)."""
        model = _service(info).model
        return ModelRef(name=model.ref.name, version=model.ref.version) if model else None

    model_stats = model_stats_field()


def build_schema(service: NLUService | None = None) -> strawberry.federation.Schema:
    """The schema; its admin mutation reloads `service`'s model (one from the settings if None)."""
    service = service or NLUService()

    @strawberry.type
    class Mutation:
        reload_nlu_model = reload_mutation(
            service.served,
            description="Serve another registered version (the production one when omitted), "
            "no downtime; needs the models:write scope.",
        )

    return strawberry.federation.Schema(query=Query, mutation=Mutation, types=[Turn])
