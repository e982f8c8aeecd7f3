"""The NLU subgraph over HTTP (httpx + ASGITransport) with a real trained model."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from subgraphs.nlu.app import create_app
from subgraphs.nlu.settings import NLUSettings
from tests.helpers.nlu_http import ENTITIES, UNDERSTAND, gql, serving


@pytest.fixture(scope="module")
async def served(concierge_model: Any) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(NLUSettings(model_path=concierge_model.path, max_batch_size=32))
    async with serving(app) as client:
        yield app, client


async def test_ready_and_understand(served: tuple[Starlette, httpx.AsyncClient]) -> None:
    _, client = served
    assert (await client.get("/ready")).status_code == 200
    text = "table for 4 at 8pm please"
    body = await gql(client, UNDERSTAND, text=text)
    assert "errors" not in body
    u = body["data"]["understand"]
    assert u["text"] == text
    assert u["model"] == {"name": "nlu-test", "version": "test-1"}
    names = [r["name"] for r in u["ranking"]]
    assert len(names) == len(set(names)) >= 2
    assert u["intent"]["name"] == ("nlu_fallback" if u["fallback"] else names[0])
    times = [e for e in u["entities"] if e["type"] == "time"]
    assert (
        times and times[0]["text"] == "8pm" and text[times[0]["start"] : times[0]["end"]] == "8pm"
    )
    body = await gql(client, "{ nluModel { name version } }")
    assert body["data"]["nluModel"] == {"name": "nlu-test", "version": "test-1"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [("", "must not be empty"), ("   ", "must not be empty"), ("x" * 1001, "limit is 1000")],
)
async def test_invalid_text_is_a_bad_user_input(
    served: tuple[Starlette, httpx.AsyncClient], text: str, needle: str
) -> None:
    _, client = served
    body = await gql(client, UNDERSTAND, text=text)
    assert body["data"] is None
    (error,) = body["errors"]
    assert needle in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_text_at_the_limit_is_accepted(served: tuple[Starlette, httpx.AsyncClient]) -> None:
    _, client = served
    body = await gql(client, UNDERSTAND, text="book a table " * 76 + "x" * 12)
    assert "errors" not in body and len(body["data"]["understand"]["text"]) == 1000


async def test_non_text_input_is_rejected(served: tuple[Starlette, httpx.AsyncClient]) -> None:
    _, client = served
    response = await client.post("/graphql", json={"query": "{ understand(text: 5) { fallback } }"})
    body = response.json()
    assert body["errors"] and "String" in body["errors"][0]["message"]


async def test_entities_share_forward_passes(served: tuple[Starlette, httpx.AsyncClient]) -> None:
    app, client = served
    batcher = app.state.nlu.batcher
    texts = [f"book a table for {n % 9 + 1} at {n % 12 + 1}pm" for n in range(50)]
    reps = [{"__typename": "Turn", "id": str(i), "text": t} for i, t in enumerate(texts)]
    before = batcher.passes
    body = await gql(client, ENTITIES, reps=reps)
    assert "errors" not in body
    turns = body["data"]["_entities"]
    assert [t["id"] for t in turns] == [str(i) for i in range(50)]
    # 50 turns, max batch size 32: two forward passes, not fifty.
    assert batcher.passes - before <= 3
    for t, text in zip(turns, texts, strict=True):
        u = t["understanding"]
        assert u["model"]["version"] == "test-1"
        hour = text.rsplit(" ", 1)[1]
        assert any(
            e["type"] == "time" and text[e["start"] : e["end"]] == hour for e in u["entities"]
        )
    single = await gql(client, UNDERSTAND, text=texts[7])
    assert (
        single["data"]["understand"]["intent"]["name"]
        == turns[7]["understanding"]["intent"]["name"]
    )


async def test_entity_representation_errors(served: tuple[Starlette, httpx.AsyncClient]) -> None:
    _, client = served
    reps = [
        {"__typename": "Turn", "id": "1", "text": "hello"},
        {"__typename": "Turn", "id": "2"},
        {"__typename": "Turn", "id": "3", "text": ""},
    ]
    body = await gql(client, ENTITIES, reps=reps)
    assert body["data"]["_entities"][0]["id"] == "1"
    assert body["data"]["_entities"][1] is None and body["data"]["_entities"][2] is None
    messages = " | ".join(e["message"] for e in body["errors"])
    assert "needs its text" in messages and "must not be empty" in messages


async def _registry_url(tmp_path: Path) -> str:
    import migrations

    url = f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"
    migrations.upgrade(url)
    return url


async def test_without_a_model_the_subgraph_stays_unready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_DATABASE_URL", await _registry_url(tmp_path))
    app = create_app(NLUSettings(model_name="nlu-none"))
    async with serving(app) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert "chorus train nlu" in ready.json()["error"]
        body = await gql(client, UNDERSTAND, text="hello")
        assert body["errors"][0]["extensions"]["code"] == "MODEL_NOT_READY"


async def test_loads_production_from_registry_and_reloads(
    concierge_model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.db import create_engine
    from models.registry import ModelRegistry

    url = await _registry_url(tmp_path)
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    second = tmp_path / "test-2"
    shutil.copytree(concierge_model.path, second)
    config = json.loads((second / "config.json").read_text())
    config["version"] = "test-2"
    (second / "config.json").write_text(json.dumps(config))
    engine = create_engine(url)
    registry = ModelRegistry(engine)
    await registry.register("nlu-test", "test-1", str(concierge_model.path), {}, "h", "production")
    await registry.register("nlu-test", "test-2", str(second), {}, "h")
    await engine.dispose()

    app = create_app(NLUSettings(model_name="nlu-test"))
    async with serving(app) as client:
        assert (await client.get("/ready")).status_code == 200
        body = await gql(client, UNDERSTAND, text="hi")
        assert body["data"]["understand"]["model"]["version"] == "test-1"
        swap = await gql(client, 'mutation { reloadNluModel(version: "test-2") { version } }')
        assert swap["data"]["reloadNluModel"] == {"version": "test-2"}
        body = await gql(client, UNDERSTAND, text="hi")
        assert body["data"]["understand"]["model"]["version"] == "test-2"
        missing = await gql(client, 'mutation { reloadNluModel(version: "nope") { version } }')
        assert "no version nope" in missing["errors"][0]["message"]
        body = await gql(client, UNDERSTAND, text="hi")
        assert body["data"]["understand"]["model"]["version"] == "test-2"
