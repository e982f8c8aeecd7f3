"""The kit's served models, through the example subgraph (tests.helpers.kit_sentiment) over HTTP.

A real torch classifier saved with safetensors, registered in a real SQLite
registry: versions on results, shared batches, readiness, per-version metrics,
modelStats, admin reloads and promotions followed without a restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch

from tests.helpers import kit_sentiment as example
from tests.helpers.kit_models import gql, promote, register, registry_url, save_weights, serving

SENTIMENT = "query($t: String!) { sentiment(text: $t) { label confidence model { name version } } }"
ENTITIES = """query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Review { id sentiment { label model { version } } } }
}"""
STATS = "{ sentimentStats { name version requests latencyP50Ms meanConfidence windowS } }"


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = registry_url(tmp_path)
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    monkeypatch.setenv("CHORUS_MODEL_POLL_S", "0.1")
    yield url


@pytest.fixture
async def one_version(registry: str, tmp_path: Path) -> str:
    await register(registry, "1", save_weights(tmp_path / "v1"), "production")
    return registry


@pytest.fixture
async def client(one_version: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(example.app()) as client:
        yield client


def _batch_sizes() -> list[int]:
    """Record the batch size every forward pass of the serving model sees."""
    sizes: list[int] = []
    model = example.classifier.model
    assert isinstance(model, torch.nn.Module)
    model.register_forward_pre_hook(lambda _module, args: sizes.append(args[0].shape[0]))
    return sizes


async def _wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_results_carry_the_version_and_concurrent_requests_share_batches(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/ready")).status_code == 200
    sizes = _batch_sizes()
    texts = [("good food" if i % 2 else "awful evening") for i in range(40)]
    bodies = await asyncio.gather(*(gql(client, SENTIMENT, t=t) for t in texts))
    for text, body in zip(texts, bodies, strict=True):
        answer = body["data"]["sentiment"]
        assert answer["model"] == {"name": "sentiment", "version": "1"}
        assert answer["label"] == ("positive" if text.startswith("good") else "negative")
        assert 0.5 < answer["confidence"] <= 1.0
    assert sum(sizes) == 40
    assert max(sizes) > 1 and len(sizes) < 40, sizes  # concurrent requests shared passes
    assert max(sizes) <= 16  # the declared max_batch_size

    # An entity field with @requires: one `_entities` call, its reviews batched together.
    sizes.clear()
    reps = [{"__typename": "Review", "id": str(i), "text": "lovely evening"} for i in range(20)]
    body = await gql(client, ENTITIES, reps=reps)
    reviews = body["data"]["_entities"]
    assert [r["id"] for r in reviews] == [str(i) for i in range(20)]
    assert {r["sentiment"]["label"] for r in reviews} == {"positive"}
    assert {r["sentiment"]["model"]["version"] for r in reviews} == {"1"}
    assert sorted(sizes) == [4, 16], sizes


async def test_metrics_and_model_stats_are_per_version(client: httpx.AsyncClient) -> None:
    earlier = (await gql(client, STATS))["data"]["sentimentStats"]
    before = {s["version"]: s["requests"] for s in earlier}
    for text in ("good", "bad", "great"):
        await gql(client, SENTIMENT, t=text)
    stats = (await gql(client, STATS))["data"]["sentimentStats"]
    (v1,) = [s for s in stats if s["version"] == "1"]
    assert v1["name"] == "sentiment" and v1["requests"] - before.get("1", 0) == 3
    assert v1["latencyP50Ms"] > 0 and 0.5 < v1["meanConfidence"] <= 1 and v1["windowS"] > 0
    metrics = (await client.get("/metrics")).text
    for series in (
        'chorus_model_batch_size_count{model="sentiment",version="1"}',
        'chorus_model_inference_seconds_count{model="sentiment",version="1"}',
        'chorus_model_predictions_total{model="sentiment",version="1"}',
        'chorus_model_confidence_count{label="positive",model="sentiment",version="1"}',
    ):
        assert series in metrics, series
    ready = (await client.get("/ready")).json()
    assert ready["models"] == [{"name": "sentiment", "version": "1", "ready": True}]


async def test_ready_is_503_until_a_version_exists_and_says_why(
    registry: str, tmp_path: Path
) -> None:
    async with serving(example.app()) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        error = ready.json()["error"]
        assert "no production version of model 'sentiment'" in error
        assert "chorus train sentiment" in error and "CHORUS_SENTIMENT_MODEL_PATH" in error
        body = await gql(client, SENTIMENT, t="good")
        (problem,) = body["errors"]
        assert problem["extensions"]["code"] == "MODEL_NOT_READY"
        assert problem["path"] == ["sentiment"] and "no production version" in problem["message"]

        # Training registers a production version: the running subgraph picks it up.
        await register(registry, "7", save_weights(tmp_path / "v7"), "production")

        async def ready_now() -> bool:
            return (await client.get("/ready")).status_code == 200

        await _wait_for(ready_now)
        assert "error" not in (await client.get("/ready")).json()
        body = await gql(client, SENTIMENT, t="good")
        assert body["data"]["sentiment"]["model"]["version"] == "7"


async def test_a_promotion_switches_the_running_app_without_failing_requests(
    one_version: str, tmp_path: Path
) -> None:
    await register(one_version, "2", save_weights(tmp_path / "v2", flipped=True))
    app = example.app()
    seen: list[list[tuple[str, str]]] = [[] for _ in range(4)]
    errors: list[Any] = []
    stop = asyncio.Event()

    async def keep_asking(client: httpx.AsyncClient, mine: list[tuple[str, str]]) -> None:
        while not stop.is_set():
            body = await gql(client, SENTIMENT, t="great evening")
            if "errors" in body:
                errors.extend(body["errors"])
                continue
            answer = body["data"]["sentiment"]
            mine.append((answer["model"]["version"], answer["label"]))

    async with serving(app) as client:
        workers = [asyncio.create_task(keep_asking(client, mine)) for mine in seen]
        await asyncio.sleep(0.3)
        await promote(one_version, "2")

        async def switched() -> bool:
            return all(mine and mine[-1][0] == "2" for mine in seen)

        try:
            await _wait_for(switched)
            await asyncio.sleep(0.2)
        finally:
            stop.set()
            await asyncio.gather(*workers)
        assert app.state.models["sentiment"].ref.version == "2"

    assert not errors, errors
    for mine in seen:
        versions = [version for version, _ in mine]
        assert versions[0] == "1" and versions[-1] == "2"
        assert versions == sorted(versions)  # never back to 1 once 2 answered
        # each answer came from its version's weights: v2 reads words backwards
        assert {label for version, label in mine if version == "1"} == {"positive"}
        assert {label for version, label in mine if version == "2"} == {"negative"}


async def test_reload_mutation_pins_a_version_until_the_next_promotion(
    one_version: str, tmp_path: Path
) -> None:
    await register(one_version, "2", save_weights(tmp_path / "v2", flipped=True))
    await register(one_version, "3", save_weights(tmp_path / "v3"))
    reload = "mutation($v: String) { reloadSentimentModel(version: $v) { name version } }"
    async with serving(example.app()) as client:
        sdl = (await gql(client, "{ _service { sdl } }"))["data"]["_service"]["sdl"]
        assert '@requiresScopes(scopes: [["models:write"]])' in sdl

        body = await gql(client, reload, v="2")
        assert body["data"]["reloadSentimentModel"] == {"name": "sentiment", "version": "2"}
        await asyncio.sleep(0.3)  # several polls: production is still 1, the pin holds
        body = await gql(client, SENTIMENT, t="good")
        assert body["data"]["sentiment"]["model"]["version"] == "2"

        missing = await gql(client, reload, v="nope")
        (problem,) = missing["errors"]
        assert problem["extensions"]["code"] == "UNKNOWN_MODEL_VERSION"
        assert "no version nope" in problem["message"]
        assert problem["path"] == ["reloadSentimentModel"]

        await promote(one_version, "3")  # a promotion wins over the pin

        async def on_three() -> bool:
            body = await gql(client, SENTIMENT, t="good")
            return bool(body["data"]["sentiment"]["model"]["version"] == "3")

        await _wait_for(on_three)
        body = await gql(client, reload)  # no version: the production one
        assert body["data"]["reloadSentimentModel"]["version"] == "3"
