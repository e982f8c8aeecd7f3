"""The distributed engine: training jobs queued on procrastinate, a PostgreSQL task queue.

Selected with ``CHORUS_TRAINING_ENGINE=procrastinate`` (chorus.yaml: the training
subgraph's ``env``). `startTraining` writes the job's row as ever, then defers one
procrastinate task naming the job; any number of `chorus training-worker` processes,
on any machine that reaches the database and the data dir, take such tasks. A task
claims the row (the same conditional UPDATE the embedded dispatcher uses, so a task run
twice, or a row cancelled meanwhile, trains nothing) and runs the job in a worker
process under `worker_process.supervise`: the same job code, heartbeat, cancel and
crash handling as the embedded engine. The row stays the job's truth; procrastinate's
own job says only that the task ran.

Why procrastinate: production already runs PostgreSQL, so the queue needs no new server
(a Redis or a Ray cluster would be one more thing to run and watch); its jobs are rows
fetched with ``FOR UPDATE SKIP LOCKED`` and LISTEN/NOTIFY wakes idle workers, and its
tables come with their own versioned SQL, applied by `chorus migrate` (the training
history's 0003).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import procrastinate
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import create_engine, database_url
from subgraphs.training.settings import TrainingSettings
from subgraphs.training.store import Job, JobStore
from subgraphs.training.worker_process import service_id, supervise

log = logging.getLogger("chorus.training")

TASK_NAME = "chorus.training.run_job"


class EngineError(RuntimeError):
    """The engine cannot be used as configured; the message says what to change."""


def conninfo(url: str) -> str:
    """A libpq connection string (what psycopg takes) for a SQLAlchemy PostgreSQL URL."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise EngineError(
            "the procrastinate training engine keeps its queue in PostgreSQL, and "
            f"{parsed.render_as_string()} is {parsed.get_backend_name()}: set "
            "CHORUS_DATABASE_URL (or CHORUS_TRAINING_QUEUE_URL) to a postgresql URL, "
            "or CHORUS_TRAINING_ENGINE=local"
        )
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(
    settings: TrainingSettings, runtime: WorkerRuntime | None = None, pool_size: int = 2
) -> procrastinate.App:
    """The procrastinate app; with a `runtime`, its task runs jobs (a worker's app)."""
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(settings.queue_url or database_url()), min_size=1, max_size=pool_size
    )
    app = procrastinate.App(connector=connector)

    @app.task(name=TASK_NAME, queue=settings.queue_name, pass_context=False)
    async def run_training_job(job_id: str) -> None:
        if runtime is None:
            raise EngineError("this procrastinate app only queues jobs")
        await runtime.run(job_id)

    return app


class ProcrastinateQueue:
    """The serving side: defers one task per job (the row is written first)."""

    def __init__(self, settings: TrainingSettings) -> None:
        self.settings = settings
        self._app: procrastinate.App | None = None

    @property
    def app(self) -> procrastinate.App:
        if self._app is None:
            raise EngineError("the procrastinate queue is not open")
        return self._app

    async def open(self) -> None:
        app = build_app(self.settings)  # EngineError when the database is not PostgreSQL
        await app.open_async()
        self._app = app
        found = await app.connector.execute_query_one_async(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        )
        if not found["present"]:
            raise EngineError(
                "procrastinate's tables are not in the queue database: run `chorus migrate` "
                "(the training history's 0003 creates them on PostgreSQL)"
            )

    async def close(self) -> None:
        if self._app is not None:
            await self._app.close_async()
            self._app = None

    async def submit(self, job: Job) -> int:
        task = self.app.configure_task(
            TASK_NAME, queue=self.settings.queue_name, queueing_lock=job.id
        )
        procrastinate_id: int = await task.defer_async(job_id=job.id)
        return procrastinate_id


class WorkerRuntime:
    """What a procrastinate worker needs to run jobs: the job store of the rows."""

    def __init__(self, settings: TrainingSettings, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_engine(database_url())
        self.store = JobStore(self.engine, settings.log_lines)
        self.owner = service_id()

    async def run(self, job_id: str) -> None:
        job = await self.store.claim(job_id, self.owner)
        if job is None:
            found = await self.store.get(job_id)
            log.info(
                "training job %s is not queued (%s): nothing to run",
                job_id,
                found.status if found else "unknown id",
            )
            return
        try:
            await supervise(self.store, job, self.settings, asyncio.Event())
        except asyncio.CancelledError:  # the worker is shutting down mid-job
            assert job.claim is not None
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    self.store.fail(
                        job.id,
                        job.claim,
                        f"the procrastinate worker ({self.owner}) stopped before the job "
                        "finished; start the job again",
                    )
                )
            raise


async def run_worker(
    settings: TrainingSettings | None = None, concurrency: int = 1, **options: Any
) -> None:
    """Take training tasks from the queue until stopped (SIGINT/SIGTERM)."""
    settings = settings or TrainingSettings()
    runtime = WorkerRuntime(settings)
    app = build_app(settings, runtime, pool_size=concurrency + 3)  # + LISTEN, fetch, heartbeat
    try:
        async with app.open_async():
            await app.run_worker_async(
                queues=[settings.queue_name],
                concurrency=concurrency,
                name=f"chorus-training-{runtime.owner}",
                **options,
            )
    finally:
        await runtime.engine.dispose()
