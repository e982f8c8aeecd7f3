"""The flagship through the real router and real subgraph processes: one mutation runs
understanding → dialogue policy → reply, a short conversation books a table, and
concurrent messages to one conversation are all kept, in order."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
import pytest

from tests.helpers.pipeline_stack import Stack, alive, descendants

# the first run of a fresh checkout trains the default models inside the fixture
pytestmark = pytest.mark.timeout(1800)

SAY = """
mutation Say($conversationId: ID, $text: String!) {
  say(conversationId: $conversationId, text: $text) {
    id index text
    conversation { id }
    understanding {
      intent { name confidence }
      entities { type value start end }
      model { name version }
    }
    action { name slots { name value } activeForm requestedSlot }
    reply { text source model { name version } }
  }
}
"""


def say(stack: Stack, text: str, conversation_id: str | None = None, **kwargs) -> dict:
    body = stack.gql(SAY, {"conversationId": conversation_id, "text": text}, **kwargs)
    assert "errors" not in body, body
    return body


def test_one_mutation_returns_understanding_action_and_reply(stack: Stack) -> None:
    turn = say(stack, "I'd like to book a table for two at 7pm")["data"]["say"]
    understanding = turn["understanding"]
    assert understanding["intent"]["name"] == "book_table"
    assert 0.5 < understanding["intent"]["confidence"] <= 1.0
    entities = {e["type"]: e["value"] for e in understanding["entities"]}
    assert entities.get("party_size") == "2"
    assert understanding["model"]["name"] == "nlu" and understanding["model"]["version"]
    slots = {s["name"]: s["value"] for s in turn["action"]["slots"]}
    assert slots["party_size"] == "2"
    assert turn["action"]["activeForm"] == "booking_form"
    assert turn["action"]["name"].startswith("utter_ask_")
    assert turn["reply"]["text"].strip()
    assert turn["reply"]["source"] in {"template", "generative", "retrieval"}


def test_the_plan_is_dialogue_then_nlu_then_dialogue_then_generation(stack: Stack) -> None:
    body = stack.gql(
        SAY,
        {"conversationId": None, "text": "hello there"},
        headers={"Chorus-Expose-Query-Plan": "true"},
    )
    plan = body["extensions"]["queryPlan"]["node"]
    assert plan["kind"] == "Sequence"
    services = []
    for node in plan["nodes"]:
        fetch = node["node"] if node["kind"] == "Flatten" else node
        assert fetch["kind"] == "Fetch", node
        services.append(fetch["serviceName"])
    assert services == ["dialogue", "nlu", "dialogue", "generation"]


def test_a_four_message_conversation_books_a_table(stack: Stack) -> None:
    messages = [
        "I want to book a table for 4 people tomorrow",
        "at 7pm please",
        "italian",
        "my name is Ana",
    ]
    conversation_id = None
    turns = []
    for text in messages:
        turn = say(stack, text, conversation_id)["data"]["say"]
        conversation_id = turn["conversation"]["id"]
        turns.append(turn)
    assert turns[-1]["action"]["name"] == "utter_booking_confirmed", [
        (t["text"], t["action"]["name"], t["understanding"]["intent"]["name"]) for t in turns
    ]
    assert "Ana" in turns[-1]["reply"]["text"] or "4" in turns[-1]["reply"]["text"]
    bookings = stack.gql(
        "query($c: ID) { bookings(conversationId: $c) { name partySize time cuisine status } }",
        {"c": conversation_id},
    )["data"]["bookings"]
    assert len(bookings) == 1
    assert bookings[0]["name"] == "Ana" and bookings[0]["partySize"] == 4
    # and the row is really in the database, not just in a response
    with sqlite3.connect(stack.data_dir / "chorus.db") as db:
        rows = db.execute(
            "SELECT name, party_size FROM dialogue_bookings WHERE conversation_id = ?",
            (conversation_id,),
        ).fetchall()
    assert rows == [("Ana", 4)]


def test_turn_fields_resolve_again_to_what_was_stored(stack: Stack) -> None:
    first = say(stack, "book a table for 3 people")["data"]["say"]
    again = stack.gql(
        "query($id: ID!) { turn(id: $id) { action { name slots { name value } } reply { text } } }",
        {"id": first["id"]},
    )
    assert again["data"]["turn"]["action"] == {
        "name": first["action"]["name"],
        "slots": first["action"]["slots"],
    }
    assert again["data"]["turn"]["reply"]["text"] == first["reply"]["text"]


def test_a_hundred_concurrent_messages_to_one_conversation_are_all_kept_in_order(
    stack: Stack,
) -> None:
    opening = say(stack, "hi")["data"]["say"]
    conversation_id = opening["conversation"]["id"]

    async def send_all() -> list[dict]:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(timeout=180, limits=limits) as client:

            async def one(i: int) -> dict:
                response = await client.post(
                    stack.url,
                    json={
                        "query": SAY,
                        "variables": {"conversationId": conversation_id, "text": f"message {i}"},
                    },
                )
                return response.json()

            return await asyncio.gather(*(one(i) for i in range(100)))

    results = asyncio.run(send_all())
    failures = [r for r in results if "errors" in r or not r.get("data")]
    assert failures == [], failures[:3]
    indexes = sorted(r["data"]["say"]["index"] for r in results)
    assert indexes == list(range(1, 101))
    turns = stack.gql(
        "query($id: ID!) { conversation(id: $id) { turnCount turns { index text status } } }",
        {"id": conversation_id},
    )["data"]["conversation"]
    assert turns["turnCount"] == 101
    assert [t["index"] for t in turns["turns"]] == list(range(101))
    assert {t["status"] for t in turns["turns"]} == {"DONE"}
    assert sorted(t["text"] for t in turns["turns"][1:]) == sorted(
        f"message {i}" for i in range(100)
    )


def test_zz_sigterm_stops_the_whole_stack_and_frees_the_ports(stack: Stack) -> None:
    """Runs last in this module: it stops the shared stack."""
    import socket

    from tests.helpers.pipeline_stack import PORTS

    children = descendants(stack.process.pid)
    assert len(children) >= 4, "expected the router and three subgraph processes"
    assert stack.stop() == 0
    leftovers = [pid for pid in children if alive(pid)]
    assert leftovers == [], f"processes left behind: {leftovers}"
    for port in PORTS.values():
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))  # raises if a process still listens
