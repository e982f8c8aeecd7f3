"""The training service: what the GraphQL fields call.

Requests are checked here, in the serving process, before a job is queued (the model
has a trainer, the parameters exist and have the right types, the data is there), so a
bad request is an error on the mutation rather than a failed job. Model management
goes through `models.model_management`, the code `chorus models` runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import data_dir
from models.model_management import Promotion, promote_model, rollback_model
from models.registry import ModelRegistry, ModelVersion
from models.train_version import plan_training
from models.trainer_registry import TrainerRegistry, registry_from_environment
from models.trainers import TrainerError
from subgraphs.training.dispatcher import Dispatcher
from subgraphs.training.settings import TrainingSettings
from subgraphs.training.store import Job, JobStore


class TrainingRequestError(ValueError):
    """A training request that cannot be queued; the message says why."""


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

    async def start(self) -> None:
        await self.dispatcher.start()

    async def stop(self) -> None:
        await self.dispatcher.stop()
        await self.engine.dispose()

    # ---- jobs
    async def start_training(
        self,
        model: str,
        dataset: str | None,
        params: Mapping[str, Any] | None,
        held_out: float | None,
    ) -> Job:
        params = dict(params or {})
        fraction = self.settings.held_out if held_out is None else held_out
        if not 0 <= fraction < 1:
            raise TrainingRequestError(f"heldOut must be at least 0 and below 1, not {fraction}")
        try:
            registered = self.trainers.get(model)
            plan_training(registered, data_dir() / "models", data=dataset, overrides=params)
        except (TrainerError, FileNotFoundError) as exc:
            raise TrainingRequestError(str(exc)) from exc
        job = await self.store.create(model, dataset, params, fraction)
        self.dispatcher.poke()
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
