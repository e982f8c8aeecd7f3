"""The training subgraph and the router as real processes: mutations need the models:write
scope, progress streams by subscription through the router, and a killed, restarted
service neither loses nor runs twice a job."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from tests.helpers.training_service import JOB_FIELDS, MODEL
from tests.helpers.training_stack import TrainingStack, token
from tests.helpers.training_toy import runs

pytestmark = pytest.mark.timeout(180)

START = """mutation($input: StartTrainingInput!) { startTraining(input: $input) { id status } }"""
JOB = f"query($id: ID!) {{ trainingJob(id: $id) {{ {JOB_FIELDS} }} }}"
WATCH = """subscription($id: ID!) { trainingJob(id: $id) {
  status progress { step total epoch loss validationMetrics phase } candidate { version } } }"""


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[TrainingStack]:
    running = TrainingStack(tmp_path)
    try:
        running.start_training()
        running.start_router()
        yield running
    finally:
        running.stop()


def post(
    stack: TrainingStack, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    response = httpx.post(
        stack.router_url, json={"query": query, "variables": variables}, headers=headers, timeout=30
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def job_of(stack: TrainingStack, job_id: str) -> dict[str, Any]:
    body = post(stack, JOB, id=job_id)
    assert "errors" not in body, body
    job: dict[str, Any] = body["data"]["trainingJob"]
    return job


def wait_job(stack: TrainingStack, job_id: str, until: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = job_of(stack, job_id)
        if until(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def start(stack: TrainingStack, **params: Any) -> str:
    body = post(stack, START, token(), input={"model": MODEL, "params": params})
    assert "errors" not in body, body
    return str(body["data"]["startTraining"]["id"])


def test_mutations_need_the_models_write_scope(stack: TrainingStack) -> None:
    for headers in (None, token(scope=None), token(scope="chat:read")):
        body = post(stack, START, headers, input={"model": MODEL})
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE", (headers, error)
        assert error["path"] == ["startTraining"] and error["message"]
        body = post(stack, 'mutation { rollbackModel(name: "toy") { version } }', headers)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
        body = post(
            stack, 'mutation { promoteModel(name: "toy", version: "x") { version } }', headers
        )
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    assert post(stack, "{ trainingJobs { id } }")["data"] == {"trainingJobs": []}
    body = post(stack, START, token("profile models:write"), input={"model": MODEL})
    assert body["data"]["startTraining"]["status"] in ("QUEUED", "RUNNING"), body


async def _subscribe(url: str, query: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    ws_url = url.replace("http://", "ws://")
    async with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        payload = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if message["type"] == "complete":
                return events
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            events.append(message["payload"]["data"]["trainingJob"])


def test_progress_streams_through_the_router(stack: TrainingStack) -> None:
    job_id = start(stack, steps=8, delay=0.3)
    events = asyncio.run(_subscribe(stack.router_url, WATCH, {"id": job_id}))
    steps = [e["progress"]["step"] for e in events if e["progress"]["step"]]
    assert len(set(steps)) >= 3 and steps == sorted(steps), steps  # it moved, in order
    losses = [e["progress"]["loss"] for e in events if e["progress"]["loss"] is not None]
    assert losses == sorted(losses, reverse=True) and losses[-1] == pytest.approx(1 / 8)
    assert any(e["progress"]["validationMetrics"] for e in events)
    last = events[-1]
    assert last["status"] == "SUCCEEDED" and last["candidate"]["version"]
    assert {e["status"] for e in events[:-1]} <= {"QUEUED", "RUNNING"}


def test_a_killed_service_fails_its_running_job_and_runs_the_queued_one_once(
    stack: TrainingStack,
) -> None:
    running = start(stack, steps=300, delay=0.1)
    queued = start(stack, steps=2)
    wait_job(stack, running, lambda j: (j["progress"]["step"] or 0) >= 2)
    assert job_of(stack, queued)["status"] == "QUEUED"  # one worker: it waits its turn

    old_pid = stack.kill_training()
    stack.start_training()

    failed = wait_job(stack, running, lambda j: j["status"] != "RUNNING", timeout=30)
    assert failed["status"] == "FAILED", failed
    assert f":{old_pid}) stopped before it finished" in failed["error"]
    done = wait_job(stack, queued, lambda j: j["status"] in ("SUCCEEDED", "FAILED"))
    assert done["status"] == "SUCCEEDED" and done["attempts"] == 1, done
    time.sleep(1.5)  # the orphaned worker's watchdog ends it within a second
    models = stack.folder / "data" / "models"
    assert len(runs(models, MODEL)) == 2  # each job started exactly once
    assert failed["candidate"] is None and job_of(stack, running)["attempts"] == 1
    listed = post(stack, '{ models(name: "toy") { version } }')["data"]["models"]
    assert [m["version"] for m in listed] == [done["candidate"]["version"]]
