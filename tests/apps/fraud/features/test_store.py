"""The features store's running statistics: the same as a replay of the card's whole history,
whatever the batches and their order, and untouched by a transaction seen again (on SQLite
and on PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import migrations
from apps.fraud.features.compute import CardEvent, CardHistory, CardStats, features_in_order
from apps.fraud.features.store import FeatureStore
from apps.fraud.features.tables import card_places, card_stats

T0 = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
CARDS = ("c1", "c2", "c3")


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[FeatureStore]:
    migrations.upgrade(db_url, owners=["apps.fraud.features"])
    s = FeatureStore(db_url)
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


def random_history(rng: random.Random, n: int) -> list[CardEvent]:
    """`n` events over a few cards, seconds to hours apart, a few merchants and countries."""
    events, moment = [], T0
    for i in range(n):
        moment += timedelta(seconds=rng.choice([1, 7, 45, 300, 2000, 5000]), microseconds=i)
        events.append(
            CardEvent(
                f"t{i:04d}",
                rng.choice(CARDS),
                moment,
                round(rng.lognormvariate(3.0, 1.0), 2),
                f"m{rng.randrange(6)}",
                rng.choice(["DE", "DE", "DE", "FR", "US"]),
            )
        )
    return events


def replayed(events: list[CardEvent], card: str) -> CardStats:
    history = CardHistory()
    for event in sorted((e for e in events if e.card_id == card), key=lambda e: e.order):
        history.features(event)
        history.add(event)
    return history.stats


async def assert_stats_as_replayed(store: FeatureStore, events: list[CardEvent]) -> None:
    for card in CARDS:
        expected = replayed(events, card) if any(e.card_id == card for e in events) else None
        assert await store.card_stats(card) == expected, card


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_running_statistics_equal_a_replay_of_the_whole_history(
    store: FeatureStore, seed: int
) -> None:
    rng = random.Random(seed)
    events = random_history(rng, 240)
    sent: list[CardEvent] = []
    start = 0
    while start < len(events):
        size = rng.choice([1, 5, 17, 40])
        batch = events[start : start + size]
        start += size
        if rng.random() < 0.2 and sent:  # a transaction that arrives late, older than stored ones
            late = events.pop(rng.randrange(start, len(events))) if start < len(events) else None
            batch = batch + ([] if late is None else [late])
        rng.shuffle(batch)
        sent += batch
        found = await store.features_for(batch)
        # each new transaction is compared with the card's stored transactions before it
        expected = features_in_order(sent)
        assert found == {e.transaction_id: expected[e.transaction_id] for e in batch}
        await assert_stats_as_replayed(store, sent)
    assert any(
        later.card_id == earlier.card_id and later.order < earlier.order
        for i, later in enumerate(sent)
        for earlier in sent[:i]
    ), "no transaction arrived late: the test would miss the replay path"


async def test_a_transaction_seen_again_changes_nothing(store: FeatureStore) -> None:
    events = random_history(random.Random(7), 30)
    first = await store.features_for(events[:20])
    before = {card: await store.card_stats(card) for card in CARDS}
    # sent again: alone, with other values, and twice within a batch beside new ones
    changed = replace(events[3], amount_eur=9999.0, merchant="elsewhere", country="JP")
    assert await store.features_for([events[3]]) == {"t0003": first["t0003"]}
    assert await store.features_for([changed]) == {"t0003": first["t0003"]}
    assert {card: await store.card_stats(card) for card in CARDS} == before
    again = await store.features_for([events[5], events[20], events[5], events[20]])
    assert again["t0005"] == first["t0005"]
    await assert_stats_as_replayed(store, events[:21])


async def test_a_history_from_before_the_statistics_is_rebuilt(store: FeatureStore) -> None:
    events = random_history(random.Random(11), 60)
    await store.features_for(events[:50])
    async with store.db.engine.begin() as conn:  # as migration 0002 leaves them
        await conn.execute(card_stats.delete())
        await conn.execute(card_places.delete())
    found = await store.features_for(events[50:])
    expected = features_in_order(events)
    assert found == {e.transaction_id: expected[e.transaction_id] for e in events[50:]}
    await assert_stats_as_replayed(store, events)
    async with store.db.engine.connect() as conn:
        places = {tuple(row) for row in await conn.execute(sa.select(card_places))}
    assert places == {(e.card_id, "m", e.merchant) for e in events} | {
        (e.card_id, "c", e.country) for e in events
    }


async def test_concurrent_requests_see_each_other_in_time_order(store: FeatureStore) -> None:
    events = random_history(random.Random(5), 40)
    shuffled = random.Random(6).sample(events, len(events))
    found = await asyncio.gather(*(store.features_for([e]) for e in shuffled))
    assert {k: v for f in found for k, v in f.items()} == features_in_order(events)
    await assert_stats_as_replayed(store, events)


@pytest.mark.postgres
async def test_two_replicas_lose_no_update(pg_url: str) -> None:
    """Two replicas' stores on one PostgreSQL database, fed batches of the same cards at once:
    the statistics are still those of the whole history (no update of one replica is lost)."""
    events = random_history(random.Random(13), 400)
    migrations.upgrade(pg_url, owners=["apps.fraud.features"])
    replicas = [FeatureStore(pg_url), FeatureStore(pg_url)]
    for replica in replicas:
        await replica.start()
    try:
        batches = [events[i : i + 8] for i in range(0, len(events), 8)]
        for first, second in zip(batches[::2], batches[1::2], strict=False):
            # in time order, but the two replicas at once: each reads, computes and writes
            await asyncio.gather(replicas[0].features_for(first), replicas[1].features_for(second))
        await assert_stats_as_replayed(replicas[0], events)
    finally:
        for replica in replicas:
            await replica.stop()


async def test_a_batch_that_collides_again_is_tried_again(
    store: FeatureStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two replicas feeding the same new cards can make one batch collide more than once."""
    from sqlalchemy.exc import IntegrityError

    from apps.fraud.features import store as store_module

    real = store._compute
    calls = 0

    async def colliding(events: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls <= collisions:
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        return await real(events)

    monkeypatch.setattr(store, "_compute", colliding)
    collisions = store_module.ATTEMPTS - 1
    event = random_history(random.Random(7), 1)[0]
    computed = await store.features_for([event])
    assert set(computed) == {event.transaction_id} and calls == store_module.ATTEMPTS

    calls, collisions = 0, store_module.ATTEMPTS
    with pytest.raises(IntegrityError):
        await store.features_for([replace(event, transaction_id="another")])
    assert calls == store_module.ATTEMPTS
