"""The distributed engine for real: jobs queued on procrastinate in PostgreSQL, run by a
procrastinate worker process the test starts; the row keeps its claim semantics (a task
delivered twice trains once, a cancelled job stops its worker)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.db import create_engine
from subgraphs.training.procrastinate_engine import (
    TASK_NAME,
    EngineError,
    ProcrastinateQueue,
    conninfo,
)
from subgraphs.training.settings import TrainingSettings
from subgraphs.training.store import JobStore
from tests.helpers.stacks import write_stack
from tests.helpers.training_service import (
    MODEL,
    data,
    finished,
    start,
    toy_environment,
    training_app,
    wait_for,
)
from tests.helpers.training_toy import runs

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

SETTINGS = TrainingSettings(engine="procrastinate", poll_s=0.1, heartbeat_s=0.2)


@pytest.fixture
def worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str) -> Iterator[int]:
    """`chorus training-worker` for the toy model on a fresh PostgreSQL database."""
    toy_environment(tmp_path, monkeypatch, url=pg_url)
    monkeypatch.setenv("CHORUS_TRAINING_HEARTBEAT_S", "0.2")
    training = {"app": "subgraphs.training.app:create_app", "port": 4999}
    training["env"] = {"CHORUS_TRAINING_ENGINE": "procrastinate"}  # the worker reads it here
    config = write_stack(tmp_path, {"training": training})
    log = (tmp_path / "procrastinate-worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "chorus", "training-worker", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    try:
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def _procrastinate_jobs(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT args->>'job_id', status::text FROM procrastinate_jobs ORDER BY id")
            )
            return [(r[0], r[1]) for r in rows]
    finally:
        await engine.dispose()


async def _settled_procrastinate_jobs(url: str, timeout: float = 30.0) -> list[tuple[str, str]]:
    """The queue's rows once none is still `doing`: procrastinate records the task's end
    just after the job's own row says SUCCEEDED (the task returns after that write)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await _procrastinate_jobs(url)
        if all(status != "doing" for _, status in rows):
            return rows
        if asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.1)


async def test_a_job_runs_on_a_procrastinate_worker(
    tmp_path: Path, worker: int, pg_url: str
) -> None:
    async with training_app(SETTINGS) as (app, client):
        queued = await start(client, params={"steps": 3})
        job = await wait_for(client, queued["id"], finished, timeout=90)
        assert job["status"] == "SUCCEEDED", (
            job,
            (tmp_path / "procrastinate-worker.log").read_text(),
        )
        assert job["candidate"]["stage"] == "candidate" and job["progress"]["step"] == 3
        listed = await data(client, "{ trainingJobs { id engine } }")
        assert listed["trainingJobs"] == [{"id": job["id"], "engine": "procrastinate"}]
        assert app.state.training.dispatcher.active == {}  # the embedded engine ran nothing

        engine = create_engine(pg_url)
        row = await JobStore(engine).get(job["id"])
        await engine.dispose()
        assert row is not None and row.owner is not None
        assert row.owner.endswith(f":{worker}")  # claimed by the procrastinate worker
        assert await _settled_procrastinate_jobs(pg_url) == [(job["id"], "succeeded")]

        # the same task delivered again (a retry, a duplicate) claims nothing: it trains once
        queue = app.state.training.queue
        await queue.app.configure_task(TASK_NAME, queue=SETTINGS.queue_name).defer_async(
            job_id=job["id"]
        )
        for _ in range(100):
            if [s for _, s in await _procrastinate_jobs(pg_url)] == ["succeeded"] * 2:
                break
            await asyncio.sleep(0.1)
        assert [s for _, s in await _procrastinate_jobs(pg_url)] == ["succeeded"] * 2
    assert len(runs(tmp_path / "data" / "models", MODEL)) == 1


async def test_cancel_stops_a_job_on_the_procrastinate_worker(
    tmp_path: Path, worker: int, pg_url: str
) -> None:
    async with training_app(SETTINGS) as (_, client):
        job = await start(client, params={"steps": 300, "delay": 0.1})
        await wait_for(client, job["id"], lambda j: (j["progress"]["step"] or 0) >= 2, timeout=90)
        await data(
            client, "mutation($id: ID!) { cancelTraining(id: $id) { status } }", id=job["id"]
        )
        for _ in range(100):  # the worker's supervisor sees its heartbeat refused
            if await _procrastinate_jobs(pg_url) == [(job["id"], "succeeded")]:
                break
            await asyncio.sleep(0.1)
        assert await _settled_procrastinate_jobs(pg_url) == [(job["id"], "succeeded")]
        after = await wait_for(client, job["id"], finished)
        assert after["status"] == "CANCELLED" and after["candidate"] is None
        assert (after["progress"]["step"] or 0) < 300
        # and the worker takes the next job
        nxt = await wait_for(client, (await start(client))["id"], finished, timeout=90)
        assert nxt["status"] == "SUCCEEDED"


async def test_the_engine_needs_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = toy_environment(tmp_path, monkeypatch)  # SQLite
    with pytest.raises(EngineError, match="keeps its queue in PostgreSQL"):
        await ProcrastinateQueue(SETTINGS).open()
    assert conninfo("postgresql+asyncpg://u:p@h:5/db") == "postgresql://u:p@h:5/db"
    with pytest.raises(EngineError, match="CHORUS_TRAINING_ENGINE=local"):
        conninfo(url)
