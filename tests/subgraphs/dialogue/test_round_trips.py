"""Database round trips of the pipeline's dialogue requests: what the router asks for a
turn is answered without reading rows it does not need."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import create_engine
from subgraphs.dialogue.tracker import UnderstandingIn
from tests.helpers.dialogue import dialogue_client, slots_of, understanding


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)


def _reads(seen: list[str], table: str, key: str) -> int:
    return sum(1 for s in seen if s.startswith("SELECT") and f"WHERE {table}.{key} =" in s)


async def test_say_answers_the_conversation_id_without_reading_the_conversation(
    dialogue_db_url: str,
) -> None:
    engine = create_engine(dialogue_db_url)
    async with dialogue_client(dialogue_db_url, engine=engine) as client:
        first = await client.say("hi")
        with statements(engine) as seen:
            said = await client.say("book a table", first["conversation"]["id"])
        assert said["conversation"]["id"] == first["conversation"]["id"]
        assert said["index"] == 1
        assert _reads(seen, "dialogue_conversations", "id") == 0, seen
    await engine.dispose()


async def test_conversation_fields_read_the_conversation_once(dialogue_db_url: str) -> None:
    engine = create_engine(dialogue_db_url)
    async with dialogue_client(dialogue_db_url, engine=engine) as client:
        text = "a table for four please"
        turn = await client.turn(text, understanding(text, "book_table", party_size=("four", "4")))
        query = (
            "query($id: ID!) { turn(id: $id) { conversation { id turnCount activeForm "
            "requestedSlot createdAt slots { name value } } } }"
        )
        with statements(engine) as seen:
            body = await client.graphql(query, id=turn["id"])
        conversation = body["data"]["turn"]["conversation"]
        assert conversation["turnCount"] == 1
        assert conversation["activeForm"] == "booking_form"
        assert conversation["requestedSlot"] == turn["action"]["requestedSlot"]
        assert conversation["createdAt"]
        assert slots_of(conversation)["party_size"] == "4"
        assert _reads(seen, "dialogue_conversations", "id") == 1, seen
    await engine.dispose()


async def test_the_action_entity_reads_no_turn_after_say_here(dialogue_db_url: str) -> None:
    engine = create_engine(dialogue_db_url)
    async with dialogue_client(dialogue_db_url, engine=engine) as client:
        said = await client.say("hi")
        with statements(engine) as seen:
            turn = await client.action(said["id"], understanding("hi", "greet"))
        assert turn["action"]["name"] == "utter_greet"
        # the pending turn `say` returned in this process is not read again, and the turn
        # the policy settled in this request is answered as written, not read back
        assert _reads(seen, "dialogue_turns", "id") == 0, "\n".join(s[:90] for s in seen)
    await engine.dispose()


async def test_a_turn_said_at_another_replica_is_read_once_before_applying_it(
    dialogue_db_url: str,
) -> None:
    engine = create_engine(dialogue_db_url)
    async with (
        dialogue_client(dialogue_db_url) as elsewhere,
        dialogue_client(dialogue_db_url, engine=engine) as client,
    ):
        said = await elsewhere.say("hi")
        with statements(engine) as seen:
            turn = await client.action(said["id"], understanding("hi", "greet"))
        assert turn["action"]["name"] == "utter_greet"
        # the entity's own read; the settled turn is not read back
        assert _reads(seen, "dialogue_turns", "id") == 1, "\n".join(s[:90] for s in seen)
        # and a second request for the same action reads the settled turn, once
        with statements(engine) as again:
            assert (await client.action(said["id"], understanding("hi", "greet")))["action"]
        assert _reads(again, "dialogue_turns", "id") == 1, again
    await engine.dispose()


async def test_a_turn_settled_here_is_answered_as_a_read_would_answer_it(
    dialogue_db_url: str,
) -> None:
    """`resolve_action` answers the turn it settled from what it wrote: the same view as
    reading the turn back, slots, actions and JSON round trip included, over a booking
    form whose slots fill turn by turn."""
    async with dialogue_client(dialogue_db_url) as client:
        store = client.service.store
        conversation: str | None = None
        steps = [
            ("hello", understanding("hello", "greet")),
            ("book a table", understanding("book a table", "book_table")),
            ("for four", understanding("for four", "inform", party_size=("four", "4"))),
            ("tomorrow", understanding("tomorrow", "inform", date=("tomorrow", "2030-01-02"))),
            ("at 7pm", understanding("at 7pm", "inform", time=("7pm", "19:00"))),
        ]
        for text, understood in steps:
            said = await store.say(conversation, text)
            conversation = said.conversation_id
            settled = await store.resolve_action(
                said.id, UnderstandingIn.model_validate(understood), turn=said
            )
            assert settled.settled
            assert settled == await store.turn(said.id)
        assert settled.slots_after is not None
        assert (settled.slots_after["party_size"], settled.slots_after["time"]) == (4, "19:00")
