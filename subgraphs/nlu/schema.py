"""GraphQL schema of the NLU subgraph (see the pipeline contract in ARCHITECTURE.md)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from models.monitoring import MONITOR, VersionStats
from models.nlu.understanding import Understanding as UnderstandingResult
from subgraphs.nlu.service import NLUService


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


@strawberry.federation.type(
    shareable=True,
    description="How one model version did over the recent window (in this process's memory).",
)
class ModelVersionStats:
    name: str
    version: str
    requests: int = strawberry.field(description="answered calls within the window")
    latency_p50_ms: float = strawberry.field(description="queue wait + forward pass, per call")
    latency_p95_ms: float
    latency_p99_ms: float
    mean_confidence: float | None = strawberry.field(
        description="mean confidence of the top prediction (null: the model reports none)"
    )
    fallback_rate: float | None = strawberry.field(
        description="share of calls that fell back (low confidence or ambiguous)"
    )
    window_s: float = strawberry.field(description="length of the window in seconds")

    @classmethod
    def of(cls, s: VersionStats) -> ModelVersionStats:
        return cls(
            name=s.name,
            version=s.version,
            requests=s.requests,
            latency_p50_ms=round(s.latency_p50_ms, 3),
            latency_p95_ms=round(s.latency_p95_ms, 3),
            latency_p99_ms=round(s.latency_p99_ms, 3),
            mean_confidence=s.mean_confidence,
            fallback_rate=s.fallback_rate,
            window_s=s.window_s,
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

    @strawberry.field(
        description="Per version of model `name`: requests, latency percentiles, mean "
        "confidence and fallback rate over the recent window, to compare a candidate "
        "with production. Empty when the model answered nothing within the window."
    )
    def model_stats(self, name: str) -> list[ModelVersionStats]:
        return [ModelVersionStats.of(s) for s in MONITOR.stats(name)]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def reload_nlu_model(self, info: Info, version: str | None = None) -> ModelRef:
        """Serve another registered version (the production one when omitted), no downtime."""
        ref = await _service(info).reload(version)
        return ModelRef(name=ref.name, version=ref.version)


def build_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=Query, mutation=Mutation, types=[Turn])
