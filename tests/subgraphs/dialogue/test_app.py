"""The dialogue app: settings from the environment, readiness, schema contract,
input validation with error codes, and migration 0002 matching the tables."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

import migrations
from apps.concierge.tables import metadata as concierge_metadata
from models.db import create_engine
from subgraphs.dialogue.app import create_app
from subgraphs.dialogue.settings import DialogueConfigError
from subgraphs.dialogue.tables import metadata as dialogue_metadata
from tests.helpers.apps import use_concierge_env
from tests.helpers.dialogue import dialogue_client, understanding
from tests.helpers.stack_migrations import DIALOGUE

# The dialogue's tables and those of the application it serves (the bookings).
TABLES = {**dialogue_metadata.tables, **concierge_metadata.tables}


def _ready(client: TestClient) -> dict[str, object]:
    for _ in range(100):
        response = client.get("/ready")
        if response.status_code == 200 or response.json().get("error"):
            return response.json()  # type: ignore[no-any-return]
        time.sleep(0.02)
    return client.get("/ready").json()  # type: ignore[no-any-return]


def test_create_app_reads_the_environment_and_serves_a_turn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    migrations.upgrade(url, owners=DIALOGUE)
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    monkeypatch.setenv("CHORUS_DIALOGUE_MAX_TEXT_LENGTH", "40")
    use_concierge_env(monkeypatch, "dialogue")
    app = create_app()
    assert app.state.dialogue.settings.max_text_length == 40
    with TestClient(app) as client:
        assert _ready(client)["ready"] is True
        said = client.post(
            "/graphql",
            json={"query": 'mutation { say(text: "hi") { id index conversation { id } } }'},
        ).json()["data"]["say"]
        assert said["index"] == 0
        query = (
            "query($r: [_Any!]!) { _entities(representations: $r) "
            "{ ... on Turn { action { name } } } }"
        )
        reps = [
            {"__typename": "Turn", "id": said["id"], "understanding": understanding("hi", "greet")}
        ]
        body = client.post("/graphql", json={"query": query, "variables": {"r": reps}}).json()
        assert body["data"]["_entities"] == [{"action": {"name": "utter_greet"}}]
        long = client.post(
            "/graphql", json={"query": f'mutation {{ say(text: "{"x" * 41}") {{ id }} }}'}
        ).json()
        assert long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "limit is 40" in long["errors"][0]["message"]


def test_not_ready_until_migrated(
    monkeypatch: pytest.MonkeyPatch, unmigrated_sqlite_url: str
) -> None:
    monkeypatch.setenv("CHORUS_DATABASE_URL", unmigrated_sqlite_url)
    use_concierge_env(monkeypatch, "dialogue")
    with TestClient(create_app()) as client:
        body = _ready(client)
        assert body["ready"] is False
        assert "chorus migrate" in str(body["error"])
        assert client.get("/health").status_code == 200


def test_without_a_domain_the_subgraph_says_what_to_configure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHORUS_DIALOGUE_DOMAIN", raising=False)
    with pytest.raises(DialogueConfigError, match="set CHORUS_DIALOGUE_DOMAIN"):
        create_app()
    monkeypatch.setenv("CHORUS_DIALOGUE_DOMAIN", "no_such_package_xyz:data/domain.yml")
    with pytest.raises(ValueError, match="no package 'no_such_package_xyz'"):
        create_app()


def test_schema_follows_the_pipeline_contract(tmp_path: Path) -> None:
    from subgraphs.dialogue.schema import build_schema

    sdl = build_schema().as_str()
    assert 'type Turn @key(fields: "id")' in sdl
    assert 'type Conversation @key(fields: "id")' in sdl
    assert "understanding: Understanding @external" in sdl
    requires = (
        'action: Action @requires(fields: "understanding { intent { name confidence } '
        'entities { type value start end } fallback }")'
    )
    assert requires in sdl
    assert "say(text: String!, conversationId: ID = null): Turn!" in sdl
    for shared in ("Action", "SlotValue", "Understanding", "Intent", "Entity", "ModelRef"):
        assert f"type {shared} @shareable" in sdl
    assert "activeForm: String" in sdl and "requestedSlot: String" in sdl


async def _error(client: object, query: str, **variables: object) -> dict[str, object]:
    body = await client.graphql(query, **variables)  # type: ignore[attr-defined]
    assert body.get("errors"), body
    return body["errors"][0]  # type: ignore[no-any-return]


async def test_bad_input_gets_clear_errors_with_codes(dialogue_sqlite_url: str) -> None:
    say = "mutation($cid: ID, $t: String!) { say(conversationId: $cid, text: $t) { id } }"
    entities = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Turn { action { name } } } }"
    )
    async with dialogue_client(dialogue_sqlite_url) as client:
        error = await _error(client, say, t="   ")
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}
        assert "must not be empty" in str(error["message"])

        error = await _error(client, say, t="x" * 1001)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "max_length": 1000}

        error = await _error(client, say, cid="no-such-conversation", t="hi")
        assert error["extensions"] == {"code": "NOT_FOUND"}
        assert "no-such-conversation" in str(error["message"])

        error = await _error(client, say, t=None)  # not even a string
        assert "String!" in str(error["message"])

        said = await client.say("hi")
        # Asked for directly, without the understanding the router brings:
        error = await _error(
            client, "query($id: ID!) { turn(id: $id) { action { name } } }", id=said["id"]
        )
        assert error["extensions"] == {"code": "UNDERSTANDING_REQUIRED"}

        error = await _error(
            client,
            entities,
            r=[{"__typename": "Turn", "id": said["id"], "understanding": {"intent": {}}}],
        )
        assert error["extensions"] == {"code": "INVALID_UNDERSTANDING"}
        assert "intent.name" in str(error["message"])

        error = await _error(
            client,
            entities,
            r=[{"__typename": "Turn", "id": "nope", "understanding": understanding("hi", "greet")}],
        )
        assert error["extensions"] == {"code": "NOT_FOUND"}

        body = await client.graphql(
            'query { turn(id: "nope") { id } conversation(id: "nope") { id } }'
        )
        assert body["data"] == {"turn": None, "conversation": None}

        # None of these created turns or touched the conversation.
        assert [
            t.index for t in await client.service.store.turns_of(said["conversation"]["id"])
        ] == [0]


async def test_migration_0002_matches_the_tables(dialogue_db_url: str) -> None:
    engine = create_engine(dialogue_db_url)
    try:
        async with engine.connect() as conn:

            def inspect(sync_conn: sa.Connection) -> dict[str, dict[str, object]]:
                inspector = sa.inspect(sync_conn)
                return {
                    table: {
                        "columns": {
                            c["name"]: (type(c["type"]).__name__, c["nullable"])
                            for c in inspector.get_columns(table)
                        },
                        "unique": sorted(
                            tuple(u["column_names"])
                            for u in inspector.get_unique_constraints(table)
                        ),
                    }
                    for table in TABLES
                }

            migrated = await conn.run_sync(inspect)
    finally:
        await engine.dispose()
    for name, table in TABLES.items():
        assert set(migrated[name]["columns"]) == {c.name for c in table.columns}, name  # type: ignore[arg-type]
        for column in table.columns:
            assert migrated[name]["columns"][column.name][1] == column.nullable, (name, column.name)  # type: ignore[index]
    assert ("conversation_id", "index") in migrated["dialogue_turns"]["unique"]  # type: ignore[operator]


def test_downgrade_to_0001_removes_the_dialogue_tables(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'down.db'}"
    migrations.upgrade(url, owners=["subgraphs.dialogue"])  # the framework's, then dialogue's 0002
    migrations.downgrade(url, "dialogue@base", owners=["subgraphs.dialogue"])

    async def tables() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    names = asyncio.run(tables())
    assert "model_versions" in names
    assert not {n for n in names if n.startswith("dialogue_")}
