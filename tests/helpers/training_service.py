"""The training subgraph in-process (its workers are real processes), for tests.

`training_app(folder, monkeypatch)` points the database, data dir and model specs of
this process (and so of the workers it starts) at `folder`, migrates, and yields an
httpx client on the app with its lifespan running.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import migrations
from models.trainer_registry import SPECS_ENV, ModelSpec, specs_to_json
from subgraphs.training.app import create_app
from subgraphs.training.settings import TrainingSettings
from tests.helpers.stacks import write_toy_data

TOY = "tests.helpers.training_toy:TRAINER"
MODEL = "toy"
# well separated: the threshold lands between the classes whatever the split
PAIRS = [(0.05 * i, 0) for i in range(1, 9)] + [(0.6 + 0.05 * i, 1) for i in range(1, 9)]
JOB_FIELDS = """id model status error attempts logTail metrics startedAt finishedAt
  progress { fraction step total epoch loss label phase validationMetrics }
  candidate { name version stage metrics trainedOn promotedFrom
              comparison { allowed reason metric data candidate production productionVersion } }"""


def toy_environment(folder: Path, monkeypatch: pytest.MonkeyPatch, url: str | None = None) -> str:
    """Database, data dir and the toy model's spec in the environment; returns the DB URL."""
    url = url or f"sqlite+aiosqlite:///{folder / 'data' / 'chorus.db'}"
    data = write_toy_data(folder / "toy.json", PAIRS)
    spec = ModelSpec(MODEL, trainer=TOY, data=str(data), params={"steps": 3}, owner="training")
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    monkeypatch.setenv("CHORUS_DATA_DIR", str(folder / "data"))
    monkeypatch.setenv(SPECS_ENV, specs_to_json([spec]))
    migrations.upgrade(url, owners=["subgraphs.training"])
    return url


@contextlib.asynccontextmanager
async def training_app(
    settings: TrainingSettings | None = None,
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(settings or TrainingSettings(poll_s=0.1, heartbeat_s=0.2))
    async with app.router.lifespan_context(app):
        await app.state.readiness.wait()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://training") as client:
            yield app, client


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body = await gql(client, query, **variables)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


START = f"""mutation($input: StartTrainingInput!) {{
  startTraining(input: $input) {{ {JOB_FIELDS} }} }}"""
JOB = f"""query($id: ID!) {{ trainingJob(id: $id) {{ {JOB_FIELDS} }} }}"""


async def start(client: httpx.AsyncClient, **input: Any) -> dict[str, Any]:
    job: dict[str, Any] = (await data(client, START, input={"model": MODEL, **input}))[
        "startTraining"
    ]
    return job


async def wait_for(
    client: httpx.AsyncClient,
    job_id: str,
    until: Callable[[dict[str, Any]], bool],
    timeout: float = 60.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = (await data(client, JOB, id=job_id))["trainingJob"]
        if until(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} never got there: {job}")
        await asyncio.sleep(0.1)


def finished(job: dict[str, Any]) -> bool:
    return job["status"] in ("SUCCEEDED", "FAILED", "CANCELLED")
