"""correctTurn in the training subgraph: a correction keeps the turn's text, what the model
said (the understanding the dialogue stored with the turn), who and when; corrections
export as training data, one per sentence; bad corrections are clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jwt
import pytest
import sqlalchemy as sa

import migrations
from models.db import create_engine
from models.nlu.examples import Example, Span
from models.nlu.yaml_format import parse_training_yaml
from tests.helpers.training_service import MODEL, data, gql, toy_environment, training_app

pytestmark = pytest.mark.timeout(120)

SAID = {
    "intent": {"name": "greet", "confidence": 0.61},
    "entities": [],
    "fallback": False,
}
CORRECT = """mutation($turn: ID!, $intent: String!, $entities: [CorrectedEntityInput!]) {
  correctTurn(turnId: $turn, intent: $intent, entities: $entities) {
    id model turnId text intent entities { type value start end } said correctedBy correctedAt
  } }"""


async def _turns(url: str, turns: dict[str, tuple[str, dict[str, Any] | None]]) -> None:
    """Turns as the dialogue subgraph writes them (its tables, its history)."""
    migrations.upgrade(url, owners=["subgraphs.dialogue"])
    at = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            meta = sa.MetaData()
            tables = await conn.run_sync(
                lambda c: (
                    sa.Table("dialogue_conversations", meta, autoload_with=c),
                    sa.Table("dialogue_turns", meta, autoload_with=c),
                )
            )
            await conn.execute(
                tables[0]
                .insert()
                .values(id="c1", domain="d", created_at=at, updated_at=at, slots={})
            )
            for index, (turn_id, (text, said)) in enumerate(turns.items()):
                await conn.execute(
                    tables[1]
                    .insert()
                    .values(
                        id=turn_id,
                        conversation_id="c1",
                        index=index,
                        text=text,
                        understanding=said,
                        status="done" if said else "pending",
                        created_at=at,
                    )
                )
    finally:
        await engine.dispose()


def _bearer(subject: str) -> dict[str, str]:
    token = jwt.encode(
        {"sub": subject}, "a key this subgraph never checks: the router does", algorithm="HS256"
    )
    return {"authorization": f"Bearer {token}"}


async def test_a_correction_records_the_turn_what_was_said_who_and_when(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = toy_environment(tmp_path, monkeypatch)
    await _turns(
        url,
        {
            "t1": ("a table for five tonight", SAID),
            "t2": ("Where are you?", None),
            "t3": ("where are   you?", SAID),
        },
    )
    async with training_app() as (_, client):
        before = dt.datetime.now(dt.UTC)
        five = [{"type": "party_size", "start": 12, "end": 16, "value": "5"}]
        response = await client.post(
            "/graphql",
            json={
                "query": CORRECT,
                "variables": {"turn": "t1", "intent": "book_table", "entities": five},
            },
            headers=_bearer("ana"),
        )
        first = response.json()["data"]["correctTurn"]
        assert first["model"] == "nlu" and first["turnId"] == "t1"
        assert first["text"] == "a table for five tonight" and first["intent"] == "book_table"
        assert first["entities"] == [{"type": "party_size", "value": "5", "start": 12, "end": 16}]
        assert first["said"] == SAID and first["correctedBy"] == "ana"
        assert dt.datetime.fromisoformat(first["correctedAt"]) >= before

        # no token: anonymous; a turn the dialogue has not acted on yet: nothing said
        second = (await data(client, CORRECT, turn="t2", intent="ask_hours"))["correctTurn"]
        assert second["correctedBy"] == "anonymous" and second["said"] is None
        # the same sentence again, later: the latest correction wins
        third = (await data(client, CORRECT, turn="t3", intent="ask_location"))["correctTurn"]
        assert third["said"] == SAID

        listed = await data(client, '{ corrections(model: "nlu") { id } }')
        assert [c["id"] for c in listed["corrections"]] == [third["id"], second["id"], first["id"]]
        only = await data(client, '{ corrections(turnId: "t1") { id } }')
        assert only["corrections"] == [{"id": first["id"]}]

        exported = (await data(client, "{ correctionsTrainingData }"))["correctionsTrainingData"]
        assert exported.startswith("# 2 correction(s) of nlu")
        assert parse_training_yaml(exported).examples == [
            Example("a table for five tonight", "book_table", (Span(12, 16, "party_size", "5"),)),
            Example("where are   you?", "ask_location"),
        ]


async def test_bad_corrections_are_errors_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = toy_environment(tmp_path, monkeypatch)
    async with training_app() as (_, client):
        body = await gql(client, CORRECT, turn="t1", intent="greet")
        (error,) = body["errors"]  # no dialogue tables in this database
        assert "corrections read the turn from the dialogue subgraph" in error["message"]
        assert error["path"] == ["correctTurn"]
    await _turns(url, {"t1": ("hi there", SAID)})
    async with training_app() as (_, client):
        cases = [
            ({"turn": "nope", "intent": "greet"}, "NOT_FOUND", "no turn nope"),
            ({"turn": "t1", "intent": "not a name"}, "BAD_USER_INPUT", "is not a name"),
            (
                {
                    "turn": "t1",
                    "intent": "greet",
                    "entities": [{"type": "x", "start": 3, "end": 20}],
                },
                "BAD_USER_INPUT",
                "are not a span of the turn's text",
            ),
            (
                {
                    "turn": "t1",
                    "intent": "greet",
                    "entities": [
                        {"type": "a", "start": 0, "end": 4},
                        {"type": "b", "start": 2, "end": 8},
                    ],
                },
                "BAD_USER_INPUT",
                "overlap",
            ),
        ]
        for variables, code, message in cases:
            (error,) = (await gql(client, CORRECT, **variables))["errors"]
            assert error["extensions"]["code"] == code and message in error["message"], error
            assert error["path"] == ["correctTurn"]
        assert (await data(client, "{ corrections { id } }"))["corrections"] == []
        (error,) = (await gql(client, "{ corrections(limit: -1) { id } }"))["errors"]
        assert "limit must be between 1 and 1000" in error["message"]

        # a model whose data is not a training-data YAML file cannot take corrections
        body = await gql(
            client,
            "mutation($i: StartTrainingInput!) { startTraining(input: $i) { id } }",
            i={"model": MODEL, "corrections": True},
        )
        (error,) = body["errors"]
        assert "corrections are added to a training-data YAML file" in error["message"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
