"""Per-turn replies: one generation per turn, shared by every resolver, stream and replica."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import migrations
from models.db import create_engine
from models.generation.generator import CausalGenerator
from models.generation.reply import ReplyChunk
from models.generation.responder import ReplyRequest, Responder
from models.generation.templates import ResponseTemplates
from models.generation.training import TrainingResult
from subgraphs.generation.service import ReplyService, ReplyUnavailable
from subgraphs.generation.store import ReplyStore
from tests.helpers.stack_migrations import GENERATION

BOOKING = ReplyRequest(
    "utter_confirm_booking",
    {"party_size": "2", "date": "Monday", "time": "18:00", "name": "Kim"},
    seed=5,
)


@pytest.fixture
async def services(
    tmp_path: Path, trained_generator: TrainingResult, fixture_templates: ResponseTemplates
) -> AsyncIterator[list[ReplyService]]:
    """Two replicas: each its own responder and engine, one database."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"
    await asyncio.to_thread(migrations.upgrade, url, owners=GENERATION)
    generator = CausalGenerator.load(trained_generator.path)
    made = []
    for _ in range(2):
        responder = Responder(fixture_templates, generator=generator)
        await responder.start()
        made.append(ReplyService(responder, ReplyStore(create_engine(url)), wait_for_reply_s=5))
    yield made
    for service in made:
        await service.close()
        await service.responder.stop()
        await service.store.engine.dispose()


async def _collect(chunks: AsyncIterator[ReplyChunk]) -> list[ReplyChunk]:
    return [c async for c in chunks]


def _generated(service: ReplyService) -> int:
    return sum(service.responder.stats.replies.values())


async def test_concurrent_resolutions_of_a_turn_share_one_generation(
    services: list[ReplyService],
) -> None:
    service = services[0]
    replies = await asyncio.gather(*(service.reply("t1", BOOKING) for _ in range(5)))
    assert len(set(replies)) == 1
    assert _generated(service) == 1
    assert await service.store.count() == 1


async def test_a_stream_without_action_joins_the_generation_in_flight(
    services: list[ReplyService],
) -> None:
    service = services[0]
    producing = asyncio.create_task(service.reply("t2", BOOKING))
    for _ in range(5000):  # wait until the generation has started
        if "t2" in service._live:
            break
        await asyncio.sleep(0.001)
    live = service._live["t2"]
    chunks = await _collect(service.stream("t2", None))
    reply = await producing
    assert chunks == live.chunks  # the live token chunks, not the stored reply re-cut
    assert chunks[-1].done and chunks[-1].reply == reply
    # tokens before it joined come in its first chunk (nobody watched them), the rest one by one
    assert len(chunks) >= 2 and "".join(c.delta for c in chunks) == reply.text
    assert _generated(service) == 1


async def test_a_stream_waits_for_the_reply_another_replica_generates(
    services: list[ReplyService],
) -> None:
    here, there = services
    waiting = asyncio.create_task(_collect(here.stream("t3", None)))
    await asyncio.sleep(0.3)  # the stream is polling the database
    reply = await there.reply("t3", BOOKING)
    chunks = await waiting
    assert chunks[-1].reply == reply
    assert _generated(here) == 0 and _generated(there) == 1


async def test_replicas_racing_on_a_turn_agree_on_the_stored_reply(
    services: list[ReplyService],
) -> None:
    a, b = services
    other = ReplyRequest(BOOKING.action, BOOKING.slots, seed=99)
    first, second = await asyncio.gather(a.reply("t4", BOOKING), b.reply("t4", other))
    stored = await a.store.get("t4")
    assert stored is not None and first == second == stored.reply


async def test_without_action_or_producer_the_turn_has_no_reply(
    services: list[ReplyService],
) -> None:
    service = services[0]
    service.wait_for_reply_s = 0.2
    with pytest.raises(ReplyUnavailable):
        await _collect(service.stream("nobody", None))
    with pytest.raises(ReplyUnavailable):
        await service.reply("nobody", None)
