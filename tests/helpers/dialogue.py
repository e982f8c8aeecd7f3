"""Helpers shared by the dialogue tests: understandings as the router sends them,
a deterministic clock, and a GraphQL client for the subgraph app."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import create_engine
from subgraphs.dialogue.app import create_app
from subgraphs.dialogue.service import DialogueService
from tests.helpers.apps import concierge_dialogue_settings

# Wednesday 5 June 2030, 10:00 in Berlin: tomorrow is a Thursday, the venue is open.
START = datetime(2030, 6, 5, 8, 0, tzinfo=UTC)


class TickingClock:
    """Starts at a fixed moment and advances a millisecond per reading."""

    def __init__(self, start: datetime = START) -> None:
        self._ticks = itertools.count()
        self.start = start

    def __call__(self) -> datetime:
        return self.start + timedelta(milliseconds=next(self._ticks))


def understanding(
    text: str,
    intent: str,
    confidence: float = 0.93,
    *,
    fallback: bool = False,
    **entities: str,
) -> dict[str, Any]:
    """An understanding shaped like the router's `_entities` representation.

    Each entity value must occur in `text`; its span gives start and end.
    The value may differ from the span (normalised by the NLU): pass
    `name=("span", "value")`.
    """
    found = []
    for kind, spec in entities.items():
        span, value = spec if isinstance(spec, tuple) else (spec, spec)
        start = text.find(span)
        assert start >= 0, f"{span!r} is not in {text!r}"
        found.append({"type": kind, "value": value, "start": start, "end": start + len(span)})
    return {
        "intent": {"name": intent, "confidence": confidence},
        "entities": found,
        "fallback": fallback,
    }


ACTION_FIELDS = "name slots { name value } activeForm requestedSlot"
SAY = """
mutation Say($cid: ID, $text: String!) {
  say(conversationId: $cid, text: $text) { id index status conversation { id } }
}"""
ENTITIES = f"""
query Action($reps: [_Any!]!) {{
  _entities(representations: $reps) {{
    ... on Turn {{ id index action {{ {ACTION_FIELDS} }} actions {{ name }} }}
  }}
}}"""


class DialogueClient:
    """Talks to one dialogue app the way the router does."""

    def __init__(self, client: httpx.AsyncClient, service: DialogueService) -> None:
        self.http = client
        self.service = service

    async def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def say(self, text: str, conversation_id: str | None = None) -> dict[str, Any]:
        body = await self.graphql(SAY, cid=conversation_id, text=text)
        assert "errors" not in body, body
        return body["data"]["say"]  # type: ignore[no-any-return]

    async def action(self, turn_id: str, understood: dict[str, Any]) -> dict[str, Any]:
        reps = [{"__typename": "Turn", "id": turn_id, "understanding": understood}]
        body = await self.graphql(ENTITIES, reps=reps)
        assert "errors" not in body, body
        return body["data"]["_entities"][0]  # type: ignore[no-any-return]

    async def status(self, turn_id: str) -> str:
        body = await self.graphql("query($id: ID!) { turn(id: $id) { status } }", id=turn_id)
        return body["data"]["turn"]["status"]  # type: ignore[no-any-return]

    async def conversation_of(self, turn_id: str) -> str:
        body = await self.graphql(
            "query($id: ID!) { turn(id: $id) { conversation { id } } }", id=turn_id
        )
        return body["data"]["turn"]["conversation"]["id"]  # type: ignore[no-any-return]

    async def turn(
        self, text: str, understood: dict[str, Any], conversation_id: str | None = None
    ) -> dict[str, Any]:
        """say + action, as one pipeline request; returns the entity with its action."""
        said = await self.say(text, conversation_id)
        return await self.action(said["id"], understood)


@asynccontextmanager
async def dialogue_client(
    url: str,
    *,
    engine: AsyncEngine | None = None,
    clock: TickingClock | None = None,
    **settings: Any,
) -> AsyncIterator[DialogueClient]:
    """A concierge dialogue app on `url` (its own engine unless given) behind an httpx client."""
    own_engine = engine is None
    engine = engine or create_engine(url)
    service = DialogueService(
        concierge_dialogue_settings(database_url=url, **settings),
        engine=engine,
        clock=clock or TickingClock(),
    )
    app = create_app(service=service)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://dialogue") as http:
            yield DialogueClient(http, service)
    finally:
        if own_engine:
            await engine.dispose()


def slots_of(action: dict[str, Any]) -> dict[str, str | None]:
    return {slot["name"]: slot["value"] for slot in action["slots"]}
