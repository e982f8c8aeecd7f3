"""The generation subgraph end to end: entity replies stored per turn, queries, streaming."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

import migrations
from models.db import create_engine
from models.generation.generator import DEFAULT_INSTRUCTION
from models.generation.training import TrainingResult
from models.registry import ModelRegistry
from subgraphs.generation.app import create_app
from subgraphs.generation.settings import GenerationConfigError, GenerationSettings
from tests.helpers.apps import concierge_generation_settings
from tests.helpers.stack_migrations import GENERATION

FAQ = Path(__file__).resolve().parent / "fixtures" / "faq.yml"
BOOKING = {
    "name": "utter_confirm_booking",
    "slots": [
        {"name": "party_size", "value": "4"},
        {"name": "date", "value": "Friday"},
        {"name": "time", "value": "19:30"},
        {"name": "name", "value": "Ada"},
        {"name": "cuisine", "value": None},
    ],
}
ENTITIES = """
query ($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Turn { id reply { text source model { name version } } }
  }
}"""
STREAM = """
subscription ($turn: ID, $action: ActionInput, $text: String) {
  replyStream(turnId: $turn, action: $action, text: $text) {
    turnId delta text done reset reply { text source model { name version } }
  }
}"""


async def _prepare(url: str, generator: TrainingResult | None) -> None:
    await asyncio.to_thread(migrations.upgrade, url, owners=GENERATION)
    if generator is None:
        return
    engine = create_engine(url)
    try:
        await ModelRegistry(engine).register(
            "generation", "v-test", str(generator.path), generator.metrics, "h", "production"
        )
    finally:
        await engine.dispose()


@contextlib.contextmanager
def serve(settings: GenerationSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        for _ in range(600):
            ready = client.get("/ready")
            if ready.status_code == 200:
                break
            assert "error" not in ready.json(), ready.json()
            time.sleep(0.05)
        else:
            raise AssertionError("the generation subgraph never became ready")
        yield client


def _settings(url: str, tmp_path: Path, domain: Path, **kw: Any) -> GenerationSettings:
    base: dict[str, Any] = {
        "database_url": url,
        "data_dir": tmp_path,
        "generation_domain": domain,
        "generation_paraphrases": None,
        "generation_faq": None,
    }
    return GenerationSettings(**{**base, **kw})


def _gql(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    body = client.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def _turn(turn_id: str, action: dict[str, Any], text: str = "") -> dict[str, Any]:
    return {"__typename": "Turn", "id": turn_id, "text": text, "action": action}


def _subscribe(client: TestClient, **variables: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """Run one replyStream subscription over graphql-transport-ws; chunks and errors."""
    chunks: list[dict[str, Any]] = []
    errors: list[Any] = []
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": STREAM, "variables": variables}}
        )
        while True:
            message = ws.receive_json()
            if message["type"] == "next":
                if message["payload"].get("errors"):
                    errors.extend(message["payload"]["errors"])
                else:
                    chunks.append(message["payload"]["data"]["replyStream"])
            elif message["type"] == "error":
                errors.extend(message["payload"])
                break
            elif message["type"] == "complete":
                break
    return chunks, errors


def _replay(chunks: list[dict[str, Any]]) -> str:
    shown = ""
    for chunk in chunks:
        shown = chunk["delta"] if chunk["reset"] else shown + chunk["delta"]
        assert shown == chunk["text"]
    return shown


async def test_entity_reply_is_generated_once_and_returned_again(
    db_url: str, tmp_path: Path, domain_path: Path, trained_generator: TrainingResult
) -> None:
    await _prepare(db_url, trained_generator)
    with serve(_settings(db_url, tmp_path, domain_path)) as client:
        data = _gql(client, ENTITIES, reps=[_turn("turn-1", BOOKING)])
        reply = data["_entities"][0]["reply"]
        assert reply["source"] == "generative"
        assert reply["model"] == {"name": "generation", "version": "v-test"}
        for value in ("4", "Friday", "19:30"):
            assert value in reply["text"]
        # Later resolutions return what was stored, even when asked with another action.
        greet = {"name": "utter_greet", "slots": []}
        again = _gql(client, ENTITIES, reps=[_turn("turn-1", greet), _turn("turn-2", greet)])
        assert again["_entities"][0]["reply"] == reply
        assert again["_entities"][1]["reply"]["text"] != reply["text"]
        stored = _gql(client, '{ storedReply(turnId: "turn-1") { text source } }')
        assert stored["storedReply"] == {"text": reply["text"], "source": "generative"}
    # ... and after a restart, from the database.
    with serve(_settings(db_url, tmp_path, domain_path)) as client:
        data = _gql(
            client, ENTITIES, reps=[_turn("turn-1", {"name": "utter_goodbye", "slots": []})]
        )
        assert data["_entities"][0]["reply"] == reply


async def test_subscription_streams_a_turns_reply_and_then_the_stored_one(
    tmp_path: Path, domain_path: Path, trained_generator: TrainingResult
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"
    await _prepare(url, trained_generator)
    settings = _settings(url, tmp_path, domain_path, generation_wait_for_reply_s=0.3)
    with serve(settings) as client:
        chunks, errors = _subscribe(client, turn="t-stream", action=BOOKING)
        assert not errors, errors
        assert len(chunks) > 5  # token by token, not one blob
        final = chunks[-1]
        assert final["done"] and final["turnId"] == "t-stream"
        assert final["reply"]["source"] in {"generative", "template"}
        assert _replay(chunks) == final["reply"]["text"]
        assert all("[" not in c["text"] for c in chunks)  # placeholders never reach a client

        # The same turn again, without an action: the stored reply, word by word.
        replay, errors = _subscribe(client, turn="t-stream")
        assert not errors and replay[-1]["reply"] == final["reply"]
        assert _replay(replay) == final["reply"]["text"]
        entity = _gql(client, ENTITIES, reps=[_turn("t-stream", BOOKING)])
        assert entity["_entities"][0]["reply"] == final["reply"]

        # A turn nobody generates: a clear error once the wait is over.
        _, errors = _subscribe(client, turn="t-unknown")
        assert errors and "no reply" in errors[0]["message"]

        # Without a turn, a one-off reply that is not stored.
        chunks, errors = _subscribe(client, action={"name": "utter_greet", "slots": []})
        assert not errors and chunks[-1]["done"] and chunks[-1]["turnId"] is None


def test_templates_and_retrieval_serve_without_a_generator(
    tmp_path: Path, domain_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"
    asyncio.run(_prepare(url, None))
    with serve(_settings(url, tmp_path, domain_path, generation_faq=FAQ)) as client:
        models = _gql(
            client,
            "{ generationModels { templates { name } retrieval { name } generator { name } } }",
        )
        assert models["generationModels"]["generator"] is None
        query = """query ($a: ActionInput!, $t: String) {
            generate(action: $a, text: $t) { text source model { name } } }"""
        booking = _gql(client, query, a=BOOKING)["generate"]
        assert booking["source"] == "template" and "19:30" in booking["text"]
        faq = _gql(client, query, a={"name": "utter_faq"}, t="is my dog allowed to come")
        assert faq["generate"] == {
            "text": "Well-behaved dogs are welcome on the terrace.",
            "source": "retrieval",
            "model": {"name": "faq-retrieval"},
        }
        sdl = _gql(client, "{ _service { sdl } }")["_service"]["sdl"]
        assert '@requires(fields: "text action { name slots { name value } }")' in sdl
        bad = client.post("/graphql", json={"query": '{ generate(action: {name: " "}) { text } }'})
        assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_switching_versions_at_run_time(
    tmp_path: Path, domain_path: Path, trained_generator: TrainingResult
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"
    await _prepare(url, trained_generator)
    engine = create_engine(url)
    try:  # a second version (same weights, another registry entry)
        await ModelRegistry(engine).register(
            "generation", "v-two", str(trained_generator.path), {}, "h", "candidate"
        )
    finally:
        await engine.dispose()
    query = """query ($a: ActionInput!) { generate(action: $a) { source model { version } } }"""
    with serve(_settings(url, tmp_path, domain_path)) as client:
        before = _gql(client, query, a={"name": "utter_greet"})["generate"]
        assert before == {"source": "generative", "model": {"version": "v-test"}}
        body = client.post(
            "/graphql",
            json={"query": 'mutation { useGenerationModel(version: "v-missing") { version } }'},
        ).json()
        assert body["errors"][0]["extensions"]["code"] == "UNKNOWN_MODEL_VERSION"
        switched = _gql(
            client, 'mutation { useGenerationModel(version: "v-two") { name version } }'
        )
        assert switched["useGenerationModel"] == {"name": "generation", "version": "v-two"}
        after = _gql(client, query, a={"name": "utter_greet"})["generate"]
        assert after == {"source": "generative", "model": {"version": "v-two"}}
        models = _gql(client, "{ generationModels { generator { version } } }")
        assert models["generationModels"]["generator"] == {"version": "v-two"}
        metrics = client.get("/metrics").text
        assert 'chorus_generation_replies_total{source="generative"}' in metrics
        assert 'chorus_model_batch_size_count{model="generation",version="v-two"}' in metrics
        assert 'chorus_model_generated_tokens_total{model="generation",version="v-two"}' in metrics
        stats = _gql(
            client,
            "{ generationModelStats { version requests latencyP50Ms fallbackRate windowS } }",
        )["generationModelStats"]
        by_version = {s["version"]: s for s in stats}
        assert by_version["v-test"]["requests"] >= 1 and by_version["v-two"]["requests"] >= 1
        assert by_version["v-two"]["latencyP50Ms"] > 0
        assert by_version["v-two"]["fallbackRate"] == 0.0


def test_without_a_domain_the_subgraph_says_what_to_configure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CHORUS_GENERATION_DOMAIN", raising=False)
    with pytest.raises(GenerationConfigError, match="set CHORUS_GENERATION_DOMAIN"):
        create_app(GenerationSettings())
    with pytest.raises(ValidationError, match="no such file"):
        GenerationSettings(generation_faq=str(tmp_path / "missing.yml"))
    with pytest.raises(ValidationError, match="no package 'no_such_app_xyz'"):
        GenerationSettings(generation_domain="no_such_app_xyz:data/domain.yml")


def test_the_prompt_instruction_is_the_applications(tmp_path: Path) -> None:
    concierge = concierge_generation_settings()
    assert concierge.generation_prompt is not None and concierge.generation_prompt.is_file()
    assert concierge.instruction() == concierge.generation_prompt.read_text().strip()
    assert "concierge" in concierge.instruction()
    plain = concierge_generation_settings(generation_prompt=None)
    assert plain.instruction() == DEFAULT_INSTRUCTION and "concierge" not in DEFAULT_INSTRUCTION
