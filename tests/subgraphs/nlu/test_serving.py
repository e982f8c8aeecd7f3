"""Serving the NLU model: batching across GraphQL, the batching switch, OVERLOADED, modelStats."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from subgraphs.nlu.app import create_app
from subgraphs.nlu.service import NLUService
from subgraphs.nlu.settings import NLUSettings
from subgraphs.nlu.startup import process_age_s
from tests.helpers.nlu_http import ENTITIES, UNDERSTAND, gql, serving

STATS = """
query($name: String!) {
  modelStats(name: $name) {
    name version requests latencyP50Ms latencyP95Ms latencyP99Ms
    meanConfidence fallbackRate windowS
  }
}
"""


def _turns(n: int, offset: int = 0) -> list[dict[str, str]]:
    return [
        {"__typename": "Turn", "id": str(offset + i), "text": f"a table for {i % 9 + 1} at 8pm"}
        for i in range(n)
    ]


def _renamed(source: Path, folder: Path, name: str, version: str) -> Path:
    """A copy of the trained model under another name and version (own monitoring series)."""
    target = folder / version
    shutil.copytree(source, target)
    config = json.loads((target / "config.json").read_text())
    config["name"], config["version"] = name, version
    (target / "config.json").write_text(json.dumps(config))
    return target


async def test_fifty_turns_of_one_entities_call_take_two_forward_passes(
    concierge_model: Any,
) -> None:
    app = create_app(NLUSettings(model_path=concierge_model.path, max_batch_size=32))
    async with serving(app) as client:
        batcher = app.state.nlu.batcher
        sizes: list[int] = []
        batcher.on_batch = lambda stats: sizes.append(stats.size)
        model = app.state.nlu.model
        passes, items, forwards = batcher.passes, batcher.items, model.forward_passes
        body = await gql(client, ENTITIES, reps=_turns(50))
        assert "errors" not in body
        assert len(body["data"]["_entities"]) == 50
        assert batcher.items - items == 50
        # max_batch_size 32: a batch of 32 and one of 18, not fifty passes of one.
        assert batcher.passes - passes == 2, sizes
        assert sorted(sizes) == [18, 32]
        assert model.forward_passes - forwards == 2  # the utterances have one length

        # Two concurrent `_entities` requests share passes too.
        sizes.clear()
        passes = batcher.passes
        first, second = await asyncio.gather(
            gql(client, ENTITIES, reps=_turns(12)), gql(client, ENTITIES, reps=_turns(12, 100))
        )
        assert "errors" not in first and "errors" not in second
        assert batcher.passes - passes <= 2 and sum(sizes) == 24, sizes


async def test_batching_off_serves_one_request_per_forward_pass(
    concierge_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_NLU_BATCHING", "0")
    monkeypatch.setenv("CHORUS_NLU_MODEL_PATH", str(concierge_model.path))
    settings = NLUSettings()
    assert settings.batching is False and settings.batch_size == 1
    app = create_app(settings)
    async with serving(app) as client:
        batcher = app.state.nlu.batcher
        assert batcher.max_batch_size == 1
        passes = batcher.passes
        body = await gql(client, ENTITIES, reps=_turns(10))
        assert "errors" not in body and len(body["data"]["_entities"]) == 10
        assert batcher.passes - passes == 10


def test_the_linger_settings_reach_the_batcher(monkeypatch: pytest.MonkeyPatch) -> None:
    lingering = NLUService(NLUSettings()).batcher
    assert (lingering.max_wait_s, lingering.linger_gap_s) == (0.010, 0.0015)
    monkeypatch.setenv("CHORUS_NLU_MAX_WAIT_MS", "2")
    monkeypatch.setenv("CHORUS_NLU_LINGER_GAP_MS", "0")
    previous = NLUService(NLUSettings()).batcher
    assert (previous.max_wait_s, previous.linger_gap_s) == (0.002, None)


async def test_a_full_queue_answers_overloaded(concierge_model: Any) -> None:
    app = create_app(NLUSettings(model_path=concierge_model.path, max_batch_size=4, max_queue=2))
    async with serving(app) as client:
        batcher = app.state.nlu.batcher
        # Occupy the model's only thread, as a long forward pass would.
        gate = threading.Event()
        assert batcher._executor is not None
        blocker = batcher._executor.submit(gate.wait, 10)
        try:
            first = asyncio.ensure_future(gql(client, UNDERSTAND, text="hello"))
            deadline = time.monotonic() + 5
            while batcher.in_flight == 0:  # drained by the worker, waiting for the thread
                assert time.monotonic() < deadline, "the first request never reached the model"
                await asyncio.sleep(0.01)
            assert batcher.queue_depth == 0 and not first.done()
            texts = [f"table for {n} at 8pm" for n in range(2, 7)]
            later = [asyncio.ensure_future(gql(client, UNDERSTAND, text=t)) for t in texts]
            while sum(f.done() for f in later) < 3:
                assert time.monotonic() < deadline, "requests beyond the bound were not refused"
                await asyncio.sleep(0.01)
            assert batcher.queue_depth == 2
        finally:
            gate.set()
        blocker.result(5)
        bodies = [await first, *[await f for f in later]]
    answered = [b for b in bodies if b.get("data")]
    refused = [b for b in bodies if b.get("errors")]
    assert len(answered) == 3 and len(refused) == 3
    for body in refused:
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "OVERLOADED"
        assert "limit 2" in error["message"] and error["path"] == ["understand"]
    assert {b["data"]["understand"]["text"] for b in answered} >= {"hello"}


def _metric(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_model_stats_compare_versions_and_metrics_are_recorded(
    concierge_model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import migrations
    from models.db import create_engine
    from models.registry import ModelRegistry

    url = f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"
    migrations.upgrade(url)
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    production = _renamed(concierge_model.path, tmp_path, "nlu-stats", "prod-1")
    candidate = _renamed(concierge_model.path, tmp_path, "nlu-stats", "cand-2")
    engine = create_engine(url)
    registry = ModelRegistry(engine)
    await registry.register("nlu-stats", "prod-1", str(production), {}, "h", "production")
    await registry.register("nlu-stats", "cand-2", str(candidate), {}, "h")
    await engine.dispose()

    texts = ["hi there", "book a table for two at 7pm", "what time do you open", "xyzzy plugh"]
    app = create_app(NLUSettings(model_name="nlu-stats"))
    async with serving(app) as client:
        body = await gql(client, STATS, name="nlu-stats")
        assert body["data"]["modelStats"] == []
        seen: dict[str, list[dict[str, Any]]] = {"prod-1": [], "cand-2": []}
        for version, repeats in (("prod-1", 2), ("cand-2", 1)):
            if version == "cand-2":
                swap = await gql(
                    client, 'mutation { reloadNluModel(version: "cand-2") { version } }'
                )
                assert swap["data"]["reloadNluModel"] == {"version": "cand-2"}
            for text in texts * repeats:
                u = (await gql(client, UNDERSTAND, text=text))["data"]["understand"]
                assert u["model"]["version"] == version
                seen[version].append(u)
        stats = (await gql(client, STATS, name="nlu-stats"))["data"]["modelStats"]
        scraped = (await client.get("/metrics")).text

    by_version = {s["version"]: s for s in stats}
    assert set(by_version) == {"prod-1", "cand-2"}
    for version, answers in seen.items():
        s = by_version[version]
        assert s["name"] == "nlu-stats" and s["requests"] == len(answers)
        assert 0 < s["latencyP50Ms"] <= s["latencyP95Ms"] <= s["latencyP99Ms"] < 10_000
        top = [a["ranking"][0]["confidence"] for a in answers]
        assert s["meanConfidence"] == pytest.approx(sum(top) / len(top))
        assert s["fallbackRate"] == pytest.approx(
            sum(a["fallback"] for a in answers) / len(answers)
        )
        assert s["windowS"] > 0
        labels = {"model": "nlu-stats", "version": version}
        assert _metric("chorus_model_predictions_total", **labels) == len(answers)
        assert _metric("chorus_model_fallbacks_total", **labels) == sum(
            a["fallback"] for a in answers
        )
        for a in answers:
            assert a["ranking"][0]["name"] in scraped
    prod_greet = _metric(
        "chorus_model_confidence_count",
        model="nlu-stats",
        version="prod-1",
        label=seen["prod-1"][0]["ranking"][0]["name"],
    )
    assert prod_greet >= 2  # "hi there" twice, under the model's top intent
    assert 'chorus_model_batch_size_count{model="nlu-stats",version="prod-1"}' in scraped


def test_process_age_is_read_from_the_kernel() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(0.3)
        age = process_age_s(child.pid)
    finally:
        child.kill()
        child.wait()
    assert age is not None and 0.25 <= age < 3.0
    assert process_age_s(2**22 + 7) is None  # no such process


async def test_ready_time_is_measured_from_process_start(concierge_model: Any) -> None:
    own = process_age_s()
    assert own is not None and own > 0
    app = create_app(NLUSettings(model_path=concierge_model.path))
    async with serving(app) as client:
        assert (await client.get("/ready")).status_code == 200
        ready = app.state.nlu.ready_after_start_s
        assert ready is not None and ready >= own
