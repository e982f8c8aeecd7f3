"""Replies are stored once per turn, on SQLite and PostgreSQL, even when writers race."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

import migrations
from models.db import create_engine
from models.generation.reply import ModelRef, Reply
from subgraphs.generation.store import ReplyStore
from tests.helpers.stack_migrations import GENERATION


async def test_a_stored_reply_wins_over_later_ones(db_url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, db_url, owners=GENERATION)
    engine = create_engine(db_url)
    try:
        store = ReplyStore(engine)
        assert await store.get("t1") is None
        first = Reply("Hello Ada!", "generative", ModelRef("generation", "v1"))
        stored = await store.put("t1", "utter_greet", first)
        assert stored.reply == first and stored.action == "utter_greet"
        again = await store.put("t1", "utter_greet", Reply("Hi!", "template", None))
        assert again.reply == first
        assert (await store.get("t1")).reply == first  # type: ignore[union-attr]
        plain = await store.put("t2", "utter_x", Reply("", "none", None))
        assert plain.reply == Reply("", "none", None)
        assert await store.count() == 2
    finally:
        await engine.dispose()


async def test_racing_writers_all_get_the_one_stored_reply(db_url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, db_url, owners=GENERATION)
    engines = [create_engine(db_url) for _ in range(2)]  # two "replicas"
    try:
        stores = [ReplyStore(e) for e in engines]
        candidates = [Reply(f"variant {i}", "generative", ModelRef("g", "1")) for i in range(8)]
        results = await asyncio.gather(
            *(stores[i % 2].put("race", "utter_greet", r) for i, r in enumerate(candidates))
        )
        winners = {r.reply for r in results}
        assert len(winners) == 1 and winners <= set(candidates)
        async with engines[0].connect() as conn:
            rows = (await conn.execute(sa.text("SELECT count(*) FROM replies"))).scalar_one()
        assert rows == 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_migration_0003_creates_and_drops_the_replies_table(db_url: str) -> None:
    async def tables() -> set[str]:
        engine = create_engine(db_url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    await asyncio.to_thread(migrations.upgrade, db_url, owners=GENERATION)  # 0001, 0003
    assert "replies" in await tables()
    await asyncio.to_thread(migrations.downgrade, db_url, "generation@base", owners=GENERATION)
    after = await tables()
    assert "replies" not in after and "model_versions" in after
