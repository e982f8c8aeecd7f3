"""Three strawberry federation subgraphs whose fields form a @requires chain.

dialogue: Turn.action @requires(understanding)      (and Mutation.say, Query.turn)
nlu:      Turn.understanding @requires(text)
generation: Turn.reply @requires(action)

Every @requires resolver fails loudly when its input is missing, so a plan that
orders the chain wrongly cannot pass. Each app records the requests it served.
"""

from __future__ import annotations

import json
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

TURNS: dict[str, dict[str, Any]] = {}


def reset() -> None:
    TURNS.clear()
    TURNS["t1"] = {"id": "t1", "text": "book a table for two"}


# ------------------------------------------------------------------ dialogue
@strawberry.federation.type(name="Understanding", shareable=True)
class DUnderstanding:
    intent: str
    confidence: float


@strawberry.federation.type(name="Turn", keys=["id"])
class DTurn:
    id: strawberry.ID
    text: str
    understanding: DUnderstanding | None = strawberry.federation.field(external=True, default=None)

    @strawberry.federation.field(requires=["understanding { intent confidence }"])
    def action(self) -> str:
        if self.understanding is None:
            raise ValueError("action resolved without its required understanding")
        return f"act_{self.understanding.intent}"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **rep: Any) -> DTurn:
        u = rep.get("understanding")
        turn = TURNS[str(id)]
        und = DUnderstanding(intent=u["intent"], confidence=u["confidence"]) if u else None
        return cls(id=id, text=turn["text"], understanding=und)


@strawberry.type(name="Query")
class DQuery:
    @strawberry.field
    def turn(self, id: strawberry.ID) -> DTurn | None:
        t = TURNS.get(str(id))
        return DTurn(id=t["id"], text=t["text"]) if t else None


@strawberry.type(name="Mutation")
class DMutation:
    @strawberry.mutation
    def say(self, text: str) -> DTurn:
        tid = f"t{len(TURNS) + 1}"
        TURNS[tid] = {"id": tid, "text": text}
        return DTurn(id=strawberry.ID(tid), text=text)


dialogue_schema = strawberry.federation.Schema(query=DQuery, mutation=DMutation, types=[DTurn])


# ----------------------------------------------------------------------- nlu
@strawberry.federation.type(name="Understanding", shareable=True)
class NUnderstanding:
    intent: str
    confidence: float


@strawberry.federation.type(name="Turn", keys=["id"])
class NTurn:
    id: strawberry.ID
    text: str | None = strawberry.federation.field(external=True, default=None)

    @strawberry.federation.field(requires=["text"])
    def understanding(self) -> NUnderstanding:
        if self.text is None:
            raise ValueError("understanding resolved without its required text")
        intent = "book" if "book" in self.text else "chitchat"
        return NUnderstanding(intent=intent, confidence=0.9)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, text: str | None = None) -> NTurn:
        return cls(id=id, text=text)


@strawberry.type(name="Query")
class NQuery:
    @strawberry.field
    def understand(self, text: str) -> NUnderstanding:
        return NUnderstanding(intent="book" if "book" in text else "chitchat", confidence=0.5)


nlu_schema = strawberry.federation.Schema(query=NQuery, types=[NTurn])


# ---------------------------------------------------------------- generation
@strawberry.federation.type(name="Turn", keys=["id"])
class GTurn:
    id: strawberry.ID
    action: str | None = strawberry.federation.field(external=True, default=None)

    @strawberry.federation.field(requires=["action"])
    def reply(self) -> str:
        if self.action is None:
            raise ValueError("reply resolved without its required action")
        return f"reply to {self.action}"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, action: str | None = None) -> GTurn:
        return cls(id=id, action=action)


@strawberry.type(name="Query")
class GQuery:
    @strawberry.field
    def version(self) -> str:
        return "g1"


generation_schema = strawberry.federation.Schema(query=GQuery, types=[GTurn])


class Recorder:
    """Wraps an ASGI GraphQL app and records every operation it receives."""

    def __init__(self, name: str, app: Any, log: list[tuple[str, str]]) -> None:
        self.name = name
        self.app = app
        self.log = log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            body = b""
            more = True
            while more:
                msg = await receive()
                body += msg.get("body", b"")
                more = msg.get("more_body", False)
            self.log.append((self.name, json.loads(body)["query"]))
            sent = False

            async def replay() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, send)
        else:
            await self.app(scope, receive, send)


async def _broken(request: Request) -> Response:
    return JSONResponse({"message": "boom"}, status_code=500)


def subgraphs_app(log: list[tuple[str, str]], broken: set[str] | None = None) -> Starlette:
    """One ASGI app serving every subgraph under /<name> (or a 500 when broken)."""
    broken = broken or set()
    apps = {
        "dialogue": GraphQL(dialogue_schema),
        "nlu": GraphQL(nlu_schema),
        "generation": GraphQL(generation_schema),
    }
    routes: list[Any] = []
    for name, app in apps.items():
        if name in broken:
            routes.append(Route(f"/{name}", _broken, methods=["POST"]))
        else:
            routes.append(Route(f"/{name}", Recorder(name, app, log), methods=["POST"]))
    return Starlette(routes=routes)
