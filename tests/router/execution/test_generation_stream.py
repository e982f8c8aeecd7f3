"""The router in front of the real generation subgraph (templates only, SQLite).

The first customer of subscriptions and `@defer`: `Subscription.replyStream`
streamed through the router over graphql-transport-ws, and a turn's `reply`
(an entity field that `@requires` the turn's text and action) deferred. A tiny
strawberry "dialogue" stub owns `Turn`. Everything runs under real uvicorn
servers on ports 5376-5378.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from router.compose import SubgraphSource, compose
from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers import stream_subgraphs as sub
from tests.helpers.multipart import merge_incremental, parse_multipart

PORTS = (5376, 5377, 5378)
SLOTS = [
    {"name": "party_size", "value": "4"},
    {"name": "date", "value": "Friday"},
    {"name": "time", "value": "19:30"},
    {"name": "name", "value": "Ada"},
]


# ------------------------------------------------------------- dialogue stub
@strawberry.federation.type(name="SlotValue", shareable=True)
class SlotValue:
    name: str
    value: str | None


@strawberry.federation.type(name="Action", shareable=True)
class Action:
    name: str
    slots: list[SlotValue]


@strawberry.federation.type(name="Turn", keys=["id"])
class Turn:
    id: strawberry.ID
    text: str
    action: Action | None  # nullable, as in the real dialogue subgraph

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Turn:
        return _turn(str(id))


def _turn(tid: str) -> Turn:
    slots = [SlotValue(name=s["name"], value=s["value"]) for s in SLOTS]
    return Turn(
        id=strawberry.ID(tid),
        text="a table for four on friday",
        action=Action(name="utter_booking_confirmed", slots=slots),
    )


@strawberry.type(name="Query")
class DialogueQuery:
    @strawberry.field
    def turn(self, id: strawberry.ID) -> Turn:
        return _turn(str(id))


dialogue_schema = strawberry.federation.Schema(query=DialogueQuery, types=[Turn])


# --------------------------------------------------------------------- stack
@pytest.fixture(scope="module")
async def router_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    import migrations
    from subgraphs.generation.app import create_app
    from tests.helpers.apps import concierge_generation_settings
    from tests.helpers.stack_migrations import GENERATION

    tmp = tmp_path_factory.mktemp("generation")
    url = f"sqlite+aiosqlite:///{tmp / 'chorus.db'}"
    await asyncio.to_thread(migrations.upgrade, url, owners=GENERATION)
    settings = concierge_generation_settings(
        database_url=url,
        data_dir=tmp,
        generation_paraphrases=None,
        generation_faq=None,
        generation_generative=False,
    )
    generation = await sub.serve(create_app(settings), PORTS[0], lifespan="on")
    dialogue = await sub.serve(sub.subgraph_app(dialogue_schema), PORTS[1])
    router = None
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            base = generation.url.removesuffix("/graphql")
            for _ in range(600):
                if (await client.get(f"{base}/ready")).status_code == 200:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the generation subgraph never became ready")
            sdl = (await client.post(generation.url, json={"query": "{ _service { sdl } }"})).json()
        result = compose(
            [
                SubgraphSource("dialogue", dialogue.url, sub.sdl_of(dialogue_schema)),
                SubgraphSource("generation", generation.url, sdl["data"]["_service"]["sdl"]),
            ]
        )
        assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
        app = create_router_app(result.supergraph_sdl, settings=RouterSettings(dev=True))
        router = await sub.serve(app, PORTS[2])
        yield router.url
    finally:
        for s in (router, dialogue, generation):
            if s is not None:
                await sub.stop(s)


def _replay(chunks: list[dict[str, Any]]) -> str:
    shown = ""
    for chunk in chunks:
        shown = chunk["delta"] if chunk["reset"] else shown + chunk["delta"]
        assert shown == chunk["text"]
    return shown


STREAM = """subscription ($action: ActionInput!) {
  replyStream(action: $action) { delta text done reset reply { text source } } }"""


async def test_reply_tokens_stream_through_the_router(router_url: str) -> None:
    ws_url = router_url.replace("http://", "ws://")
    action = {"name": "utter_booking_confirmed", "slots": SLOTS}
    async with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
        payload = {"query": STREAM, "variables": {"action": action}}
        await ws.send(json.dumps({"id": "r", "type": "subscribe", "payload": payload}))
        chunks = []
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if msg["type"] == "complete":
                break
            assert msg["type"] == "next" and "errors" not in msg["payload"], msg
            chunks.append(msg["payload"]["data"]["replyStream"])
    assert len(chunks) >= 2, chunks
    final = chunks[-1]
    assert final["done"] and final["reply"]["source"] == "template"
    assert _replay(chunks) == final["reply"]["text"]
    assert "19:30" in final["reply"]["text"] and all(not c["done"] for c in chunks[:-1])


async def test_a_turns_reply_deferred(router_url: str) -> None:
    query = '{ turn(id: "t1") { id text ... @defer(label: "reply") { reply { text source } } } }'
    async with httpx.AsyncClient(timeout=20) as client:
        resp = await client.post(
            router_url,
            json={"query": query},
            headers={"accept": "multipart/mixed;deferSpec=20220824"},
        )
        plain = await client.post(
            router_url, json={"query": query.replace('@defer(label: "reply")', "")}
        )
    parts = parse_multipart(resp)
    assert parts[0]["data"] == {"turn": {"id": "t1", "text": "a table for four on friday"}}
    (item,) = parts[1]["incremental"]
    assert item["path"] == ["turn"] and item["label"] == "reply"
    assert item["data"]["reply"]["source"] == "template"
    # the reply is stored once per turn: the plain query returns the same text
    assert merge_incremental(parts) == plain.json()["data"]
