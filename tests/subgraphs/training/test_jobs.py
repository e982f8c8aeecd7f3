"""Training jobs in the training subgraph: each runs in a real worker process, its progress
lands in the row; bad requests are errors on the mutation; cancel; a killed worker fails
its job with the reason."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from subgraphs.training.settings import TrainingSettings
from tests.helpers.training_service import (
    MODEL,
    data,
    finished,
    gql,
    start,
    toy_environment,
    training_app,
    wait_for,
)
from tests.helpers.training_toy import runs

pytestmark = pytest.mark.timeout(120)


async def test_a_job_trains_a_candidate_and_compares_it_with_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toy_environment(tmp_path, monkeypatch)
    async with training_app() as (_, client):
        first = await start(client, params={"steps": 4})
        assert first["status"] in ("QUEUED", "RUNNING") and first["model"] == MODEL
        job = await wait_for(client, first["id"], finished)
        assert job["status"] == "SUCCEEDED", job
        assert job["progress"]["step"] == 4 and job["progress"]["fraction"] == 1.0
        assert job["progress"]["validationMetrics"] == {"val_accuracy": 1.0}
        assert job["metrics"]["accuracy"] == 1.0 and job["attempts"] == 1
        assert any("toy threshold" in line for line in job["logTail"])
        candidate = job["candidate"]
        assert candidate["stage"] == "candidate" and candidate["name"] == MODEL
        assert candidate["comparison"]["allowed"] is True  # no production version yet

        await data(
            client,
            'mutation($v: String!) { promoteModel(name: "toy", version: $v) { stage } }',
            v=candidate["version"],
        )
        second = await wait_for(client, (await start(client))["id"], finished)
        comparison = second["candidate"]["comparison"]
        assert comparison["metric"] == "accuracy" and comparison["data"].endswith("held_out.json")
        assert comparison["productionVersion"] == candidate["version"]
        assert comparison["candidate"] == comparison["production"] == 1.0
        assert second["candidate"]["metrics"]["evaluations"][comparison["data"]]["n"] > 0
    assert len(runs(tmp_path / "data" / "models", MODEL)) == 2


async def test_bad_requests_are_errors_not_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toy_environment(tmp_path, monkeypatch)
    async with training_app() as (_, client):
        cases = {
            "nope": ({"model": "nope"}, "no trainer is registered for model 'nope'; known models:"),
            "param": ({"model": MODEL, "params": {"epochs": 2}}, "has no parameter 'epochs'"),
            "type": ({"model": MODEL, "params": {"steps": "many"}}, "steps: 'many' is not"),
            "data": ({"model": MODEL, "dataset": str(tmp_path / "missing.json")}, "missing.json"),
            "held": ({"model": MODEL, "heldOut": 1.5}, "heldOut must be"),
            "shape": ({"model": MODEL, "params": [1]}, "params must be a JSON object"),
        }
        for case, (input, message) in cases.items():
            body = await gql(
                client,
                "mutation($i: StartTrainingInput!) { startTraining(input: $i) { id } }",
                i=input,
            )
            (error,) = body["errors"]
            assert message in error["message"], (case, error)
            assert error["path"] == ["startTraining"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
        listed = await data(client, "{ trainingJobs { id } }")
        assert listed["trainingJobs"] == []


async def test_a_failing_trainer_fails_its_job_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toy_environment(tmp_path, monkeypatch)
    async with training_app() as (_, client):
        job = await start(client, params={"fail": True})
        job = await wait_for(client, job["id"], finished)
    assert job["status"] == "FAILED"
    assert job["error"] == "ValueError: the toy was told to fail"
    assert job["candidate"] is None and job["finishedAt"]


async def test_a_job_that_overruns_its_time_is_stopped_and_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toy_environment(tmp_path, monkeypatch)
    settings = TrainingSettings(poll_s=0.1, heartbeat_s=0.2, max_runtime_s=1.5)
    async with training_app(settings) as (app, client):
        job = await start(client, params={"steps": 600, "delay": 0.1})
        processes = app.state.training.dispatcher.processes
        await wait_for(client, job["id"], lambda j: job["id"] in processes)
        pid = processes[job["id"]].pid
        after = await wait_for(client, job["id"], finished)
        await wait_for(
            client, job["id"], lambda j: job["id"] not in app.state.training.dispatcher.active
        )
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # the worker is gone
    assert after["status"] == "FAILED" and after["candidate"] is None
    assert after["error"] == (
        "the job ran longer than CHORUS_TRAINING_MAX_RUNTIME_S (1.5 s): "
        f"its worker (pid {pid}) was stopped"
    )
    assert (after["progress"]["step"] or 0) < 600


async def test_cancel_stops_the_worker_and_registers_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toy_environment(tmp_path, monkeypatch)
    async with training_app() as (app, client):
        job = await start(client, params={"steps": 200, "delay": 0.1})
        await wait_for(client, job["id"], lambda j: (j["progress"]["step"] or 0) >= 2)
        pid = app.state.training.dispatcher.processes[job["id"]].pid
        cancelled = await data(
            client, "mutation($id: ID!) { cancelTraining(id: $id) { status error } }", id=job["id"]
        )
        assert cancelled["cancelTraining"] == {
            "status": "CANCELLED",
            "error": "cancelled by request",
        }
        await wait_for(
            client, job["id"], lambda j: job["id"] not in app.state.training.dispatcher.active
        )
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # the worker is gone
        after = await wait_for(client, job["id"], finished)
        assert after["status"] == "CANCELLED" and after["candidate"] is None
        assert (after["progress"]["step"] or 0) < 200
        models = await data(client, '{ models(name: "toy") { version } }')
        assert models["models"] == []
        body = await gql(client, 'mutation { cancelTraining(id: "nope") { id } }')
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_killed_worker_fails_its_job_with_the_signal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toy_environment(tmp_path, monkeypatch)
    async with training_app() as (app, client):
        job = await start(client, params={"steps": 200, "delay": 0.1})
        await wait_for(client, job["id"], lambda j: (j["progress"]["step"] or 0) >= 1)
        process = app.state.training.dispatcher.processes[job["id"]]
        os.kill(process.pid, signal.SIGKILL)
        failed = await wait_for(client, job["id"], finished)
        assert failed["status"] == "FAILED"
        assert f"the worker process (pid {process.pid}) was killed by SIGKILL" in failed["error"]
        # the service goes on: the next job runs
        nxt = await wait_for(client, (await start(client))["id"], finished)
        assert nxt["status"] == "SUCCEEDED"
