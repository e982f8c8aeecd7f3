"""Training jobs as durable rows: every state change is one conditional UPDATE.

States: ``queued`` -> ``running`` (claimed) -> ``succeeded`` | ``failed``; ``queued`` or
``running`` -> ``cancelled``. A claim writes a fresh token into the row only if it is
still queued, so two dispatchers (or a restarted one) never run a job twice; every
later write by the claimant names the token and the ``running`` state, so a worker
whose job was cancelled, or failed by a recovery sweep, changes nothing any more.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})

metadata = sa.MetaData()

training_jobs = sa.Table(
    "training_jobs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("model", sa.String(128), nullable=False),
    sa.Column("dataset", sa.Text),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("held_out", sa.Float, nullable=False),
    sa.Column("engine", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("progress", sa.JSON, nullable=False),
    sa.Column("log_tail", sa.JSON, nullable=False),
    sa.Column("metrics", sa.JSON),
    sa.Column("candidate_name", sa.String(128)),
    sa.Column("candidate_version", sa.String(64)),
    sa.Column("error", sa.Text),
    sa.Column("claim", sa.String(64)),
    sa.Column("owner", sa.String(255)),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
    sa.Column("with_corrections", sa.Boolean, nullable=False),
    sa.Column("corrections_used", sa.Integer),
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Job:
    id: str
    model: str
    dataset: str | None
    params: dict[str, Any]
    held_out: float
    engine: str
    status: str
    progress: dict[str, Any] = field(default_factory=dict)
    log_tail: list[str] = field(default_factory=list)
    metrics: dict[str, Any] | None = None
    candidate_name: str | None = None
    candidate_version: str | None = None
    error: str | None = None
    claim: str | None = None
    owner: str | None = None
    attempts: int = 0
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    heartbeat_at: dt.datetime | None = None
    with_corrections: bool = False
    corrections_used: int | None = None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    @classmethod
    def of(cls, row: Any) -> Job:
        values = dict(row._mapping)
        for key in ("created_at", "updated_at", "started_at", "finished_at", "heartbeat_at"):
            values[key] = _aware(values[key])
        values["params"] = dict(values["params"] or {})
        values["progress"] = dict(values["progress"] or {})
        values["log_tail"] = list(values["log_tail"] or [])
        return cls(**values)


class JobStore:
    """Reads and writes `training_jobs` (created by the training history's 0001)."""

    def __init__(self, engine: AsyncEngine, log_lines: int = 50) -> None:
        self.engine = engine
        self.log_lines = log_lines

    async def create(
        self,
        model: str,
        dataset: str | None,
        params: Mapping[str, Any],
        held_out: float,
        engine: str = "local",
        with_corrections: bool = False,
    ) -> Job:
        at = now()
        job_id = uuid.uuid4().hex
        async with self.engine.begin() as conn:
            await conn.execute(
                training_jobs.insert().values(
                    id=job_id,
                    model=model,
                    dataset=dataset,
                    params=dict(params),
                    held_out=held_out,
                    engine=engine,
                    status=QUEUED,
                    progress={},
                    log_tail=[],
                    attempts=0,
                    with_corrections=with_corrections,
                    created_at=at,
                    updated_at=at,
                )
            )
        return await self._existing(job_id)

    async def get(self, job_id: str) -> Job | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(training_jobs).where(training_jobs.c.id == job_id))
            ).first()
        return None if row is None else Job.of(row)

    async def recent(self, statuses: Sequence[str] = (), limit: int = 100) -> list[Job]:
        """Jobs, newest first (of these statuses when given)."""
        query = sa.select(training_jobs).order_by(training_jobs.c.created_at.desc()).limit(limit)
        if statuses:
            query = query.where(training_jobs.c.status.in_(list(statuses)))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Job.of(r) for r in rows]

    async def claim(self, job_id: str, owner: str) -> Job | None:
        """Take this queued job (None when someone else did, or it is no longer queued)."""
        token = uuid.uuid4().hex
        at = now()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                training_jobs.update()
                .where(training_jobs.c.id == job_id, training_jobs.c.status == QUEUED)
                .values(
                    status=RUNNING,
                    claim=token,
                    owner=owner,
                    attempts=training_jobs.c.attempts + 1,
                    started_at=at,
                    heartbeat_at=at,
                    updated_at=at,
                )
            )
        if result.rowcount != 1:
            return None
        return await self._existing(job_id)

    async def claim_next(self, owner: str, engine: str = "local") -> Job | None:
        """The oldest queued job of `engine`, claimed; None when there is none."""
        while True:
            async with self.engine.connect() as conn:
                row = (
                    await conn.execute(
                        sa.select(training_jobs.c.id)
                        .where(training_jobs.c.status == QUEUED, training_jobs.c.engine == engine)
                        .order_by(training_jobs.c.created_at)
                        .limit(1)
                    )
                ).first()
            if row is None:
                return None
            job = await self.claim(row.id, owner)
            if job is not None:
                return job  # else another dispatcher won it: try the next one

    async def _update_claimed(self, job: Job | str, claim: str, **values: Any) -> bool:
        job_id = job if isinstance(job, str) else job.id
        values.setdefault("updated_at", now())
        async with self.engine.begin() as conn:
            result = await conn.execute(
                training_jobs.update()
                .where(
                    training_jobs.c.id == job_id,
                    training_jobs.c.claim == claim,
                    training_jobs.c.status == RUNNING,
                )
                .values(**values)
            )
        return bool(result.rowcount == 1)

    async def heartbeat(self, job_id: str, claim: str) -> bool:
        """Still ours and running? (False: cancelled, or failed by a recovery sweep.)"""
        at = now()
        return await self._update_claimed(job_id, claim, heartbeat_at=at, updated_at=at)

    async def report(
        self,
        job_id: str,
        claim: str,
        progress: Mapping[str, Any] | None = None,
        lines: Sequence[str] = (),
    ) -> bool:
        """Write the latest progress and append log lines (the last `log_lines` are kept)."""
        values: dict[str, Any] = {"heartbeat_at": now()}
        if progress is not None:
            values["progress"] = dict(progress)
        if lines:
            current = await self.get(job_id)
            if current is None:
                return False
            values["log_tail"] = [*current.log_tail, *lines][-self.log_lines :]
        return await self._update_claimed(job_id, claim, **values)

    async def set_corrections_used(self, job_id: str, claim: str, count: int) -> bool:
        return await self._update_claimed(job_id, claim, corrections_used=count)

    async def set_candidate(self, job_id: str, claim: str, name: str, version: str) -> bool:
        return await self._update_claimed(
            job_id, claim, candidate_name=name, candidate_version=version
        )

    async def succeed(self, job_id: str, claim: str, metrics: Mapping[str, Any]) -> bool:
        at = now()
        return await self._update_claimed(
            job_id, claim, status=SUCCEEDED, metrics=dict(metrics), finished_at=at
        )

    async def fail(self, job_id: str, claim: str, reason: str) -> bool:
        return await self._update_claimed(
            job_id, claim, status=FAILED, error=reason, finished_at=now()
        )

    async def cancel(self, job_id: str, reason: str = "cancelled by request") -> Job | None:
        """Cancel a queued or running job; returns the job as it now is (None: unknown id)."""
        at = now()
        async with self.engine.begin() as conn:
            await conn.execute(
                training_jobs.update()
                .where(training_jobs.c.id == job_id, training_jobs.c.status.in_([QUEUED, RUNNING]))
                .values(status=CANCELLED, error=reason, finished_at=at, updated_at=at)
            )
        return await self.get(job_id)

    async def abandon(self, job_id: str, reason: str) -> bool:
        """Fail a job nobody claimed (its engine refused it): never run, with the reason."""
        at = now()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                training_jobs.update()
                .where(training_jobs.c.id == job_id, training_jobs.c.status == QUEUED)
                .values(status=FAILED, error=reason, finished_at=at, updated_at=at)
            )
        return bool(result.rowcount == 1)

    async def fail_lost(
        self, stale_before: dt.datetime, dead_owners: Sequence[str] = ()
    ) -> list[str]:
        """Fail running jobs whose heartbeat stopped, or whose owner is known to be dead."""
        lost = training_jobs.c.heartbeat_at < stale_before
        if dead_owners:
            lost = sa.or_(lost, training_jobs.c.owner.in_(list(dead_owners)))
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(training_jobs.c.id, training_jobs.c.owner, training_jobs.c.claim)
                    .where(training_jobs.c.status == RUNNING)
                    .where(lost)
                )
            ).all()
        failed = []
        for row in rows:
            reason = (
                f"the training service running this job ({row.owner}) stopped before it "
                "finished; start the job again"
            )
            if await self.fail(row.id, row.claim, reason):
                failed.append(row.id)
        return failed

    async def running_owners(self) -> list[str]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(training_jobs.c.owner)
                    .where(training_jobs.c.status == RUNNING)
                    .distinct()
                )
            ).all()
        return [r.owner for r in rows if r.owner]

    async def _existing(self, job_id: str) -> Job:
        job = await self.get(job_id)
        if job is None:
            raise LookupError(f"training job {job_id} vanished")
        return job
