"""The training service: what the GraphQL fields call.

Requests are checked here, in the serving process, before a job is queued (the model
has a trainer, the parameters exist and have the right types, the data is there), so a
bad request is an error on the mutation rather than a failed job. Model management
goes through `models.model_management`, the code `chorus models` runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import data_dir
from models.model_management import Promotion, promote_model, rollback_model
from models.registry import ModelRegistry, ModelVersion
from models.train_version import plan_training
from models.trainer_registry import TrainerRegistry, registry_from_environment
from models.trainers import TrainerError
from subgraphs.training.correction_data import accepts_corrections, export
from subgraphs.training.corrections import (
    Correction,
    CorrectionError,
    CorrectionStore,
    checked,
    latest_per_sentence,
)
from subgraphs.training.dispatcher import Dispatcher
from subgraphs.training.settings import TrainingSettings
from subgraphs.training.store import Job, JobStore
from subgraphs.training.turns import TurnsUnavailable, read_turn

if TYPE_CHECKING:
    from subgraphs.training.procrastinate_engine import ProcrastinateQueue


class TrainingRequestError(ValueError):
    """A training request that cannot be queued; the message says why."""


class TurnNotFound(TrainingRequestError):
    """correctTurn named a turn the dialogue does not have."""


class TrainingService:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: TrainingSettings | None = None,
        trainers: TrainerRegistry | None = None,
    ) -> None:
        self.settings = settings or TrainingSettings()
        self.engine = engine
        self.store = JobStore(engine, self.settings.log_lines)
        self.registry = ModelRegistry(engine)
        self.trainers = trainers or registry_from_environment()
        self.dispatcher = Dispatcher(self.store, self.settings)
        self.corrections = CorrectionStore(engine)
        self.queue: ProcrastinateQueue | None = None
        if self.uses_queue:  # imported only when chosen: psycopg stays out of other services
            from subgraphs.training.procrastinate_engine import ProcrastinateQueue

            self.queue = ProcrastinateQueue(self.settings)

    @property
    def uses_queue(self) -> bool:
        return self.settings.engine == "procrastinate"

    async def start(self) -> None:
        await self.dispatcher.start()
        if self.queue is not None:
            await self.queue.open()  # /ready says why when the queue is not usable

    async def stop(self) -> None:
        await self.dispatcher.stop()
        if self.queue is not None:
            await self.queue.close()
        await self.engine.dispose()

    # ---- jobs
    async def start_training(
        self,
        model: str,
        dataset: str | None,
        params: Mapping[str, Any] | None,
        held_out: float | None,
        corrections: bool = False,
    ) -> Job:
        params = dict(params or {})
        fraction = self.settings.held_out if held_out is None else held_out
        if not 0 <= fraction < 1:
            raise TrainingRequestError(f"heldOut must be at least 0 and below 1, not {fraction}")
        try:
            registered = self.trainers.get(model)
            plan = plan_training(registered, data_dir() / "models", data=dataset, overrides=params)
        except (TrainerError, FileNotFoundError) as exc:
            raise TrainingRequestError(str(exc)) from exc
        if corrections and (why_not := accepts_corrections(plan.data)) is not None:
            raise TrainingRequestError(f"model {model}: {why_not}")
        engine = self.settings.engine
        job = await self.store.create(model, dataset, params, fraction, engine, corrections)
        if self.queue is None:
            self.dispatcher.poke()
            return job
        try:
            await self.queue.submit(job)
        except Exception as exc:  # the row must not wait for a task that was never queued
            reason = f"cannot queue the job on procrastinate: {exc}"
            await self.store.abandon(job.id, reason)
            raise TrainingRequestError(reason) from exc
        return job

    async def cancel(self, job_id: str) -> Job:
        job = await self.store.cancel(job_id)
        if job is None:
            raise TrainingRequestError(f"no training job {job_id}")
        self.dispatcher.cancel(job_id)
        return job

    async def job(self, job_id: str) -> Job | None:
        return await self.store.get(job_id)

    async def jobs(self, statuses: list[str], limit: int) -> list[Job]:
        return await self.store.recent(statuses, limit)

    async def watch(self, job_id: str) -> AsyncIterator[Job]:
        """The job now, then every change of its row, until it is finished."""
        last = None
        while True:
            job = await self.store.get(job_id)
            if job is None:
                raise TrainingRequestError(f"no training job {job_id}")
            seen = (job.updated_at, job.status)
            if seen != last:
                last = seen
                yield job
            if job.done:
                return
            await asyncio.sleep(self.settings.stream_interval_s)

    # ---- corrections (the feedback loop)
    async def correct_turn(
        self,
        turn_id: str,
        intent: str,
        entities: list[dict[str, Any]],
        by: str,
    ) -> Correction:
        try:
            turn = await read_turn(self.engine, turn_id)
        except TurnsUnavailable as exc:
            raise TrainingRequestError(str(exc)) from exc
        if turn is None:
            raise TurnNotFound(f"no turn {turn_id}")
        try:
            intent, found = checked(turn.text, intent, entities)
        except CorrectionError as exc:
            raise TrainingRequestError(str(exc)) from exc
        model = self.settings.corrections_model
        return await self.corrections.record(
            model, turn.id, turn.text, intent, found, turn.understanding, by
        )

    async def list_corrections(
        self, model: str | None, turn_id: str | None, limit: int
    ) -> list[Correction]:
        return await self.corrections.list(model=model, turn_id=turn_id, limit=limit)

    async def export_corrections(self, model: str | None) -> str:
        """The corrections of `model` (default: the corrected model) as training data."""
        name = model or self.settings.corrections_model
        return export(latest_per_sentence(await self.corrections.list(model=name)), name)

    # ---- models
    async def versions(self, name: str | None) -> list[ModelVersion]:
        return await self.registry.list(name)

    async def version(self, name: str, version: str) -> ModelVersion | None:
        return await self.registry.get(name, version)

    async def production(self, name: str) -> ModelVersion | None:
        return await self.registry.production(name)

    def primary_metric(self, name: str) -> str | None:
        try:
            return self.trainers.get(name).trainer.primary_metric
        except TrainerError:
            return None

    async def promote(self, name: str, version: str, force: bool) -> Promotion:
        return await promote_model(
            self.registry, name, version, force=force, primary_metric=self.primary_metric(name)
        )

    async def rollback(self, name: str) -> Promotion:
        return await rollback_model(self.registry, name)
