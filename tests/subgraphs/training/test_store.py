"""The job table on SQLite and PostgreSQL: its migration, a claim won exactly once under
concurrency, writes that stop counting once a job is cancelled, the recovery sweep."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

import migrations
from models.db import create_engine
from subgraphs.training.store import CANCELLED, FAILED, RUNNING, JobStore, now


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[JobStore]:
    await asyncio.to_thread(migrations.upgrade, db_url, owners=["subgraphs.training"])
    engine = create_engine(db_url)
    try:
        yield JobStore(engine, log_lines=3)
    finally:
        await engine.dispose()


async def test_a_job_is_claimed_once_whoever_asks(store: JobStore) -> None:
    jobs = [await store.create("toy", None, {"steps": 1}, 0.2) for _ in range(3)]
    claims = await asyncio.gather(*(store.claim_next(f"svc:{i}") for i in range(8)))
    won = [c for c in claims if c is not None]
    assert sorted(c.id for c in won) == sorted(j.id for j in jobs)
    assert all(c.status == RUNNING and c.attempts == 1 and c.claim for c in won)
    assert await store.claim_next("late:1") is None
    assert await store.claim(jobs[0].id, "late:2") is None


async def test_a_cancelled_job_ignores_its_worker(store: JobStore) -> None:
    await store.create("toy", "data.json", {}, 0.2)
    job = await store.claim_next("svc:1")
    assert job is not None and job.claim is not None
    assert await store.report(job.id, job.claim, {"step": 1}, ["a", "b", "c", "d"])
    assert (await store.get(job.id)).log_tail == ["b", "c", "d"]  # type: ignore[union-attr]
    assert (await store.cancel(job.id)).status == CANCELLED  # type: ignore[union-attr]
    assert not await store.heartbeat(job.id, job.claim)
    assert not await store.succeed(job.id, job.claim, {"accuracy": 1.0})
    after = await store.get(job.id)
    assert after is not None and after.status == CANCELLED and after.metrics is None


async def test_the_sweep_fails_jobs_of_dead_or_silent_services(store: JobStore) -> None:
    for _ in range(3):
        await store.create("toy", None, {}, 0.2)
    dead = await store.claim_next("host:1")
    silent = await store.claim_next("host:2")
    alive = await store.claim_next("host:3")
    assert dead and silent and alive and silent.claim
    old = now() - dt.timedelta(minutes=5)
    async with store.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE training_jobs SET heartbeat_at = :t WHERE id = :id"),
            {"t": old, "id": silent.id},
        )
    failed = await store.fail_lost(now() - dt.timedelta(seconds=30), ["host:1"])
    assert sorted(failed) == sorted([dead.id, silent.id])
    for job in (dead, silent):
        row = await store.get(job.id)
        assert (
            row is not None
            and row.status == FAILED
            and "stopped before it finished" in (row.error or "")
        )
    assert (await store.get(alive.id)).status == RUNNING  # type: ignore[union-attr]
    assert sorted(await store.running_owners()) == ["host:3"]


async def test_the_history_goes_down_and_up(db_url: str) -> None:
    owners = ["subgraphs.training"]
    await asyncio.to_thread(migrations.upgrade, db_url, owners=owners)
    await asyncio.to_thread(migrations.downgrade, db_url, "training@base", owners=owners)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        assert "training_jobs" not in names and "model_versions" in names
    finally:
        await engine.dispose()
    await asyncio.to_thread(migrations.upgrade, db_url, owners=owners)
