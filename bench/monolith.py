"""The concierge turn as a monolith: the baseline `bench/pipeline.py` measures federation against.

    python -m bench.monolith --port 4075      # env: what `chorus dev` gives the subgraphs

One asyncio process runs what the router, dialogue, NLU and generation processes run
for a `say` mutation, built from the same library code with the same settings (the
subgraphs' `CHORUS_*` environment), but called directly: no GraphQL, no HTTP between
the parts, one plain JSON POST per turn.

1. `DialogueStore.say` appends the turn (the dialogue subgraph's `say` mutation);
2. `NLUService.understand`, the kit's `ServedModel` with its batcher (`Turn.understanding`);
3. `DialogueStore.resolve_action` runs the policy once, in order (`Turn.action`);
4. `ReplyService.reply` answers, stores and returns the reply (`Turn.reply`).

The answer has the shape of the router's answer to the bench's mutation, so the
bench checks both the same way. `GET /stats` returns the seconds spent in each
step summed over all turns (the monolith's side of the time breakdown).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.generation.responder import ReplyRequest
from models.nlu.understanding import Understanding
from subgraphs.dialogue.graphql_types import slot_values
from subgraphs.dialogue.service import DialogueService
from subgraphs.dialogue.store import ConversationNotFound
from subgraphs.dialogue.tracker import UnderstandingIn
from subgraphs.dialogue.views import TurnView
from subgraphs.generation.generator import served_generator
from subgraphs.generation.runtime import GenerationRuntime
from subgraphs.generation.service import turn_seed
from subgraphs.generation.settings import GenerationSettings
from subgraphs.kit.heap import tune_heap
from subgraphs.nlu.service import NLUService

STEPS = ("say_db", "nlu", "policy_db", "reply")


class BadTurn(ValueError):
    """The request is not a turn the pipeline accepts (the subgraphs' user errors)."""


def _understanding_json(u: Understanding) -> dict[str, Any]:
    """What the router hands the dialogue: the fields of `Turn.action`'s @requires."""
    return {
        "intent": {"name": u.intent.name, "confidence": u.intent.confidence},
        "entities": [
            {"type": e.type, "value": e.value, "start": e.start, "end": e.end} for e in u.entities
        ],
        "fallback": u.fallback,
    }


class Monolith:
    """The three services of the concierge stack in one process, wired by function calls."""

    def __init__(self) -> None:
        self.nlu = NLUService()
        self.dialogue = DialogueService()
        settings = GenerationSettings()
        settings.require_domain()
        self.generator = served_generator(settings) if settings.generation_generative else None
        self.generation = GenerationRuntime(settings, self.generator)
        self.seconds = dict.fromkeys(STEPS, 0.0)
        #: CPU of the whole process (all threads) during each step: per step only at c=1,
        #: where no other turn runs meanwhile
        self.cpu_seconds = dict.fromkeys(STEPS, 0.0)
        self.turns = 0

    async def start(self) -> None:
        """In the subgraphs' order: models first, then each service's start-up hook."""
        await self.nlu.served.start()
        if self.nlu.served.error:
            raise RuntimeError(f"the NLU model did not load: {self.nlu.served.error}")
        if self.generator is not None:
            await self.generator.start()
        await self.nlu.start()
        await self.dialogue.start()
        await self.generation.start()
        await tune_heap()  # as the kit does in every subgraph process once it is ready

    async def stop(self) -> None:
        await self.generation.stop()
        await self.dialogue.stop()
        if self.generator is not None:
            await self.generator.stop()
        await self.nlu.served.stop()

    async def say(self, conversation_id: str | None, text: str) -> dict[str, Any]:
        if not text.strip():
            raise BadTurn("text must not be empty")
        limit = self.dialogue.settings.max_text_length
        if len(text) > limit:
            raise BadTurn(f"text is {len(text)} characters long; the limit is {limit}")
        seconds, cpu = self.seconds, self.cpu_seconds
        began, began_cpu = time.perf_counter(), time.process_time()
        try:
            turn = await self.dialogue.store.say(conversation_id, text)
        except ConversationNotFound:
            raise BadTurn(f"unknown conversation {conversation_id!r}") from None
        said, said_cpu = time.perf_counter(), time.process_time()
        understanding = await self.nlu.understand(text)
        understood, understood_cpu = time.perf_counter(), time.process_time()
        view = await self.dialogue.store.resolve_action(
            turn.id, UnderstandingIn.model_validate(_understanding_json(understanding)), turn=turn
        )
        decided, decided_cpu = time.perf_counter(), time.process_time()
        action = self._action(view)
        slots = {s["name"]: s["value"] for s in action["slots"]}
        request = ReplyRequest(
            action=action["name"], slots=slots, text=text, seed=turn_seed(turn.id)
        )
        reply = await self.generation.service.reply(turn.id, request)
        replied, replied_cpu = time.perf_counter(), time.process_time()
        seconds["say_db"] += said - began
        seconds["nlu"] += understood - said
        seconds["policy_db"] += decided - understood
        seconds["reply"] += replied - decided
        cpu["say_db"] += said_cpu - began_cpu
        cpu["nlu"] += understood_cpu - said_cpu
        cpu["policy_db"] += decided_cpu - understood_cpu
        cpu["reply"] += replied_cpu - decided_cpu
        self.turns += 1
        model = reply.model
        return {
            "id": turn.id,
            "index": turn.index,
            "conversation": {"id": turn.conversation_id},
            "understanding": {"intent": {"name": understanding.intent.name}},
            "action": action,
            "reply": {
                "text": reply.text,
                "source": reply.source,
                "model": {"name": model.name, "version": model.version} if model else None,
            },
        }

    def _action(self, view: TurnView) -> dict[str, Any]:
        record = view.action
        assert record is not None  # resolve_action returns the settled turn
        slots = slot_values(record.slots, self.dialogue.domain)
        return {
            "name": record.name,
            "slots": [{"name": s.name, "value": s.value} for s in slots],
            "activeForm": record.active_form,
            "requestedSlot": record.requested_slot,
        }


def create_app() -> Starlette:
    monolith = Monolith()

    async def say(request: Request) -> Response:
        try:
            body = orjson.loads(await request.body())
            turn = await monolith.say(body.get("conversationId"), str(body["text"]))
            answer: dict[str, Any] = {"data": {"say": turn}}
        except (BadTurn, KeyError, orjson.JSONDecodeError) as error:
            answer = {"errors": [{"message": str(error), "path": ["say"]}]}
        return Response(orjson.dumps(answer), media_type="application/json")

    async def stats(_request: Request) -> Response:
        return Response(
            orjson.dumps(
                {
                    "turns": monolith.turns,
                    "seconds": monolith.seconds,
                    "cpu_seconds": monolith.cpu_seconds,
                }
            ),
            media_type="application/json",
        )

    async def metrics(_request: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    async def ready(_request: Request) -> Response:
        return Response(b'{"ready":true}', media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await monolith.start()
        try:
            yield
        finally:
            await monolith.stop()

    return Starlette(
        routes=[
            Route("/say", say, methods=["POST"]),
            Route("/stats", stats),
            Route("/ready", ready),
            Route("/metrics", metrics),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=4075)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    from router.server.coalescing_loop import LOOP  # the subgraphs' server settings

    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        loop=LOOP,
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
