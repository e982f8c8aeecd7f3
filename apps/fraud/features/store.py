"""Features computed once per transaction, from this subgraph's copy of each card's history.

A batch (the representations of one `_entities` call) is computed together: the
history of its cards is read in one query, the batch's own transactions are replayed
with it in time order (a card's second transaction in the batch sees its first), and
the new events and features are written in one database transaction.

Computing is serialised within the process, so two concurrent batches of the same card
see each other. Replicas would need a row lock per card (not done: one replica).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from apps.fraud.database import Database
from apps.fraud.features.compute import CardEvent, Features, features_in_order
from apps.fraud.features.tables import card_events, features

CHUNK = 500


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class FeatureStore:
    def __init__(self, database_url: str | None = None) -> None:
        self.db = Database(features.name, database_url)
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        await self.db.start()

    async def stop(self) -> None:
        await self.db.stop()

    async def features_for(self, events: Sequence[CardEvent]) -> dict[str, Features]:
        """Each event's features: stored ones as stored, new ones computed and stored."""
        async with self._lock:
            try:
                return await self._compute(events)
            except IntegrityError:  # another process stored some of them meanwhile
                return await self._compute(events)

    async def stored(self, transaction_id: str) -> Features | None:
        async with self.db.engine.connect() as conn:
            return (await self._stored(conn, [transaction_id])).get(transaction_id)

    async def _compute(self, events: Sequence[CardEvent]) -> dict[str, Features]:
        ids = sorted({e.transaction_id for e in events})
        async with self.db.engine.begin() as conn:
            found = await self._stored(conn, ids)
            new = {e.transaction_id: e for e in events if e.transaction_id not in found}
            if not new:
                return found
            history = await self._history(conn, sorted({e.card_id for e in new.values()}))
            replay = [e for e in history if e.transaction_id not in new] + list(new.values())
            computed = features_in_order(replay)
            now = datetime.now(UTC)
            await conn.execute(card_events.insert(), [asdict(e) for e in new.values()])
            await conn.execute(
                features.insert(),
                [{"transaction_id": i, "computed_at": now, **asdict(computed[i])} for i in new],
            )
        return {**found, **{i: computed[i] for i in new}}

    async def _stored(self, conn: Any, ids: list[str]) -> dict[str, Features]:
        found: dict[str, Features] = {}
        columns = [c for c in features.c if c.name not in ("transaction_id", "computed_at")]
        for start in range(0, len(ids), CHUNK):
            rows = await conn.execute(
                sa.select(features.c.transaction_id, *columns).where(
                    features.c.transaction_id.in_(ids[start : start + CHUNK])
                )
            )
            for row in rows:
                values = row._asdict()
                transaction_id = values.pop("transaction_id")
                found[transaction_id] = Features(**values)
        return found

    async def _history(self, conn: Any, cards: list[str]) -> list[CardEvent]:
        events: list[CardEvent] = []
        for start in range(0, len(cards), CHUNK):
            rows = await conn.execute(
                sa.select(card_events).where(
                    card_events.c.card_id.in_(cards[start : start + CHUNK])
                )
            )
            for row in rows:
                values = row._asdict()
                values["timestamp"] = _utc(values["timestamp"])
                events.append(CardEvent(**values))
        return events
