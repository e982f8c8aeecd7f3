"""The training subgraph's GraphQL schema: training jobs and model management.

Mutations change what serves traffic or spend machine time, so they carry
`@requiresScopes(scopes: [["models:write"]])`: composition keeps the directive and the
router refuses them to callers without the scope (docs/kit.md, "Admin operations").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from models.evaluation_gate import check
from models.model_management import PromotionRefused
from models.registry import ModelVersion as RegistryVersion
from models.registry import RegistryError
from subgraphs.kit import ADMIN_SCOPE, ModelRef, user_error
from subgraphs.training.caller import caller
from subgraphs.training.corrections import Correction as StoredCorrection
from subgraphs.training.service import TrainingRequestError, TrainingService, TurnNotFound
from subgraphs.training.store import Job


def _service(info: Info) -> TrainingService:
    service: TrainingService = info.context["training"]
    return service


@strawberry.enum(description="Where a training job is in its life.")
class TrainingStatus(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@strawberry.type(description="The evaluation gate: candidate and production on the same data.")
class ModelComparison:
    allowed: bool = strawberry.field(description="whether promoteModel accepts it without force")
    reason: str
    metric: str | None = strawberry.field(description="the model's primary metric")
    data: str | None = strawberry.field(description="the data both were evaluated on")
    candidate: float | None
    production: float | None
    production_version: str | None


@strawberry.type(description="A registered version of a model, with its metrics and stage.")
class ModelVersion:
    name: str
    version: str
    stage: str = strawberry.field(description="candidate, production or archived")
    metrics: JSON = strawberry.field(description="training metrics and later evaluations")
    trained_on: str = strawberry.field(description="hash of the data it was trained on")
    created_at: dt.datetime | None
    promoted_from: str | None = strawberry.field(
        description="the production version this one replaced when it was promoted"
    )
    registered: strawberry.Private[RegistryVersion]

    @strawberry.field(description="name and version, as results carry them")
    def ref(self) -> ModelRef:
        return ModelRef(name=self.name, version=self.version)

    @strawberry.field(description="the gate's verdict against the current production version")
    async def comparison(self, info: Info) -> ModelComparison:
        service = _service(info)
        production = await service.production(self.name)
        gate = check(self.registered, production, service.primary_metric(self.name))
        return ModelComparison(
            allowed=gate.allowed,
            reason=gate.reason,
            metric=gate.metric,
            data=gate.data,
            candidate=gate.candidate,
            production=gate.production,
            production_version=gate.production_version,
        )

    @classmethod
    def of(cls, mv: RegistryVersion) -> ModelVersion:
        created = mv.created_at
        if created is not None and created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        return cls(
            name=mv.name,
            version=mv.version,
            stage=mv.stage,
            metrics=cast(JSON, mv.metrics),
            trained_on=mv.data_hash,
            created_at=created,
            promoted_from=(mv.promotion or {}).get("previous"),
            registered=mv,
        )


@strawberry.type(description="Where a running job is: steps, epoch, loss, validation metrics.")
class TrainingProgress:
    fraction: float | None = strawberry.field(description="0 to 1, when the trainer counts steps")
    step: int | None
    total: int | None
    epoch: int | None
    loss: float | None
    label: str | None
    phase: str | None = strawberry.field(description="training, evaluating or done")
    validation_metrics: JSON | None

    @classmethod
    def of(cls, p: dict[str, Any]) -> TrainingProgress:
        return cls(
            fraction=p.get("fraction"),
            step=p.get("step"),
            total=p.get("total"),
            epoch=p.get("epoch"),
            loss=p.get("loss"),
            label=p.get("label"),
            phase=p.get("phase"),
            validation_metrics=p.get("metrics"),
        )


@strawberry.type(description="A training job: a durable row, run by one worker process.")
class TrainingJob:
    id: strawberry.ID
    model: str
    dataset: str | None
    params: JSON
    held_out: float
    status: TrainingStatus
    progress: TrainingProgress
    created_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    log_tail: list[str]
    metrics: JSON | None = strawberry.field(description="the candidate's training metrics")
    error: str | None
    attempts: int
    engine: str = strawberry.field(description="local or procrastinate")
    with_corrections: bool = strawberry.field(
        description="whether the corrections recorded with correctTurn were added to its data"
    )
    corrections_used: int | None = strawberry.field(
        description="how many corrections (one per sentence) its training data got"
    )
    candidate_name: strawberry.Private[str | None]
    candidate_version: strawberry.Private[str | None]

    @strawberry.field(description="the version this job registered (a candidate at first)")
    async def candidate(self, info: Info) -> ModelVersion | None:
        if self.candidate_name is None or self.candidate_version is None:
            return None
        found = await _service(info).version(self.candidate_name, self.candidate_version)
        return None if found is None else ModelVersion.of(found)

    @classmethod
    def of(cls, job: Job) -> TrainingJob:
        return cls(
            id=strawberry.ID(job.id),
            model=job.model,
            dataset=job.dataset,
            params=cast(JSON, job.params),
            held_out=job.held_out,
            status=TrainingStatus(job.status),
            progress=TrainingProgress.of(job.progress),
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            log_tail=job.log_tail,
            metrics=cast(JSON | None, job.metrics),
            error=job.error,
            attempts=job.attempts,
            engine=job.engine,
            with_corrections=job.with_corrections,
            corrections_used=job.corrections_used,
            candidate_name=job.candidate_name,
            candidate_version=job.candidate_version,
        )


@strawberry.input
class StartTrainingInput:
    model: str = strawberry.field(description="a model the trainer registry knows")
    dataset: str | None = strawberry.field(
        default=None, description="training data: a path or pkg.module:path (default: configured)"
    )
    params: JSON | None = strawberry.field(default=None, description="trainer parameters")
    held_out: float | None = strawberry.field(
        default=None,
        description="fraction of the data kept out of training to gate the candidate "
        "(default CHORUS_TRAINING_HELD_OUT; 0: evaluate on the training data)",
    )
    corrections: bool = strawberry.field(
        default=False,
        description="add the corrections recorded with correctTurn for this model (one per "
        "sentence, the latest) to a copy of its training data; they replace shipped "
        "examples of the same sentence",
    )


@strawberry.type(description="An entity of a corrected turn: a span of the turn's text.")
class CorrectedEntity:
    type: str
    value: str = strawberry.field(description="the normalised value (default: the covered text)")
    start: int
    end: int


@strawberry.input(description="An entity as it should have been found: a span of the text.")
class CorrectedEntityInput:
    type: str
    start: int = strawberry.field(description="offset of its first character in the turn's text")
    end: int = strawberry.field(description="offset after its last character")
    value: str | None = strawberry.field(
        default=None, description="the normalised value (default: the covered text)"
    )


@strawberry.type(description="What a person said a turn meant, next to what the model said.")
class Correction:
    id: strawberry.ID
    model: str = strawberry.field(description="the model these corrections train")
    turn_id: strawberry.ID
    text: str
    intent: str
    entities: list[CorrectedEntity]
    said: JSON | None = strawberry.field(
        description="the understanding the dialogue acted on (intent, confidence, entities, "
        "fallback); null when the turn had none yet"
    )
    corrected_by: str = strawberry.field(description="the token's subject, or anonymous")
    corrected_at: dt.datetime

    @classmethod
    def of(cls, c: StoredCorrection) -> Correction:
        return cls(
            id=strawberry.ID(c.id),
            model=c.model,
            turn_id=strawberry.ID(c.turn_id),
            text=c.text,
            intent=c.intent,
            entities=[
                CorrectedEntity(type=e.type, value=e.value, start=e.start, end=e.end)
                for e in c.entities
            ],
            said=cast(JSON | None, c.said),
            corrected_by=c.corrected_by,
            corrected_at=c.corrected_at,
        )


@strawberry.type
class Query:
    @strawberry.field(description="Training jobs, newest first.")
    async def training_jobs(
        self, info: Info, status: list[TrainingStatus] | None = None, limit: int = 100
    ) -> list[TrainingJob]:
        statuses = [s.value for s in status or []]
        return [TrainingJob.of(j) for j in await _service(info).jobs(statuses, limit)]

    @strawberry.field(description="One training job, or null.")
    async def training_job(self, info: Info, id: strawberry.ID) -> TrainingJob | None:
        job = await _service(info).job(str(id))
        return None if job is None else TrainingJob.of(job)

    @strawberry.field(description="Registered versions (of one model when `name` is given).")
    async def models(self, info: Info, name: str | None = None) -> list[ModelVersion]:
        return [ModelVersion.of(v) for v in await _service(info).versions(name)]

    @strawberry.federation.field(
        description="Corrections recorded with correctTurn, newest first (users' words: "
        "read with the models:write scope).",
        requires_scopes=[[ADMIN_SCOPE]],
    )
    async def corrections(
        self,
        info: Info,
        model: str | None = None,
        turn_id: strawberry.ID | None = None,
        limit: int = 100,
    ) -> list[Correction]:
        if not 1 <= limit <= 1000:
            raise user_error(f"limit must be between 1 and 1000, not {limit}")
        found = await _service(info).list_corrections(
            model, None if turn_id is None else str(turn_id), limit
        )
        return [Correction.of(c) for c in found]

    @strawberry.federation.field(
        description="The corrections of a model (default: the corrected one), one per "
        "sentence, as a training-data YAML file (the NLU format).",
        requires_scopes=[[ADMIN_SCOPE]],
    )
    async def corrections_training_data(self, info: Info, model: str | None = None) -> str:
        return await _service(info).export_corrections(model)

    @strawberry.field(description="The names of the models that can be trained here.")
    def trainable_models(self, info: Info) -> list[str]:
        return _service(info).trainers.names()


def _mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise user_error("params must be a JSON object of trainer parameters")
    return value


def _registry_error(exc: RegistryError) -> Exception:
    if isinstance(exc, PromotionRefused):
        gate = exc.gate
        return user_error(
            str(exc),
            code="PROMOTION_REFUSED",
            metric=gate.metric,
            candidate=gate.candidate,
            production=gate.production,
            productionVersion=gate.production_version,
        )
    return user_error(str(exc), code="MODEL_REGISTRY")


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        description="Queue a training job; a worker process runs it.",
        requires_scopes=[[ADMIN_SCOPE]],
    )
    async def start_training(self, info: Info, input: StartTrainingInput) -> TrainingJob:
        try:
            job = await _service(info).start_training(
                input.model,
                input.dataset,
                _mapping(input.params),
                input.held_out,
                input.corrections,
            )
        except TrainingRequestError as exc:
            raise user_error(str(exc)) from exc
        return TrainingJob.of(job)

    @strawberry.mutation(
        description="Record what a turn meant (its intent and entities, as spans of its "
        "text), next to what the model said; startTraining(corrections: true) learns it."
    )
    async def correct_turn(
        self,
        info: Info,
        turn_id: strawberry.ID,
        intent: str,
        entities: list[CorrectedEntityInput] | None = None,
    ) -> Correction:
        spans = [
            {"type": e.type, "start": e.start, "end": e.end, "value": e.value}
            for e in entities or []
        ]
        request = info.context["request"]
        try:
            recorded = await _service(info).correct_turn(
                str(turn_id), intent, spans, caller(request.headers)
            )
        except TrainingRequestError as exc:
            code = "NOT_FOUND" if isinstance(exc, TurnNotFound) else "BAD_USER_INPUT"
            raise user_error(str(exc), code=code) from exc
        return Correction.of(recorded)

    @strawberry.federation.mutation(
        description="Cancel a queued or running job (its worker is stopped).",
        requires_scopes=[[ADMIN_SCOPE]],
    )
    async def cancel_training(self, info: Info, id: strawberry.ID) -> TrainingJob:
        try:
            job = await _service(info).cancel(str(id))
        except TrainingRequestError as exc:
            raise user_error(str(exc), code="NOT_FOUND") from exc
        return TrainingJob.of(job)

    @strawberry.federation.mutation(
        description="Make a version production; refused when the evaluation gate finds it "
        "worse than production on the primary metric, unless `force`. Serving subgraphs "
        "switch to it without a restart.",
        requires_scopes=[[ADMIN_SCOPE]],
    )
    async def promote_model(
        self, info: Info, name: str, version: str, force: bool = False
    ) -> ModelVersion:
        try:
            done = await _service(info).promote(name, version, force)
        except RegistryError as exc:
            raise _registry_error(exc) from exc
        return ModelVersion.of(done.production)

    @strawberry.federation.mutation(
        description="Put back the production version the current one replaced.",
        requires_scopes=[[ADMIN_SCOPE]],
    )
    async def rollback_model(self, info: Info, name: str) -> ModelVersion:
        try:
            done = await _service(info).rollback(name)
        except RegistryError as exc:
            raise _registry_error(exc) from exc
        return ModelVersion.of(done.production)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The job now and at every change (progress, log, status) until it ends."
    )
    async def training_job(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[TrainingJob, None]:
        service = _service(info)
        if await service.job(str(id)) is None:
            raise user_error(f"no training job {id}", code="NOT_FOUND")
        async for job in service.watch(str(id)):
            yield TrainingJob.of(job)


def build_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=Query, mutation=Mutation, subscription=Subscription)
