"""Features computed once per transaction, from this subgraph's running statistics of each card.

A batch (the representations of one `_entities` call) is computed together in one
database transaction: its cards' statistics (one row each) and, of the places they
have paid at, those the batch names are read; each card's new transactions go through
them in time order (a card's second transaction in the batch sees its first); the
new events, features, statistics and places are written. That is constant work per
transaction, whatever the length of a card's history.

Two cases replay a card's stored events instead (`fraud_card_events`, this
subgraph's copy of the history), so that features stay what a replay of the whole
history in time order gives: a card without statistics (its history predates them),
and a transaction older than the card's latest (it arrived late; the statistics
cannot take an event back). The card's statistics are then rebuilt from the replay.

A transaction already stored is answered from `fraud_features` and changes nothing,
so a retry or the router asking again never counts a transaction twice.

Computing is serialised within the process, so two concurrent batches of the same card
see each other; batches that arrive while one is computed are computed together, in
one database transaction (`Coalescer`). Across replicas, a batch locks its cards'
statistics rows (`SELECT ... FOR UPDATE`, in card order so two batches cannot
deadlock on each other's cards) until it commits; two replicas creating the same
card's first row, or storing the same transaction, collide on the primary key and the
loser computes again from what the winner stored.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from apps.fraud.database import Database
from apps.fraud.features.coalesce import Coalescer
from apps.fraud.features.compute import CardEvent, CardHistory, CardStats, Features
from apps.fraud.features.tables import card_events, card_places, card_stats, features

CHUNK = 500  # values per IN (...) list: under SQLite's bound-parameter limit
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MERCHANT, COUNTRY = "m", "c"
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE
# attempts of a batch that collides with another replica's writes (each collision is its progress)
ATTEMPTS = 5


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _micros(moment: datetime) -> int:
    return (_utc(moment) - EPOCH) // MICROSECOND


@dataclass
class _Card:
    """One card of a batch: its new events (in time order) and what is stored of it."""

    new: list[CardEvent]
    stats: CardStats | None = None
    merchants: set[str] = field(default_factory=set)  # of the batch's, those stored
    countries: set[str] = field(default_factory=set)

    def replays(self) -> bool:
        """Whether the card's stored events must be replayed (see the module docstring)."""
        last = None if self.stats is None else self.stats.last
        return last is None or self.new[0].order < last

    def new_places(self, history: CardHistory) -> list[dict[str, str]]:
        """The places to store: the new events' (a rebuilt card: all), less those stored."""
        if self.stats is None:
            merchants, countries = history.merchants, history.countries
        else:
            merchants = {e.merchant for e in self.new} - self.merchants
            countries = {e.country for e in self.new} - self.countries
        card = self.new[0].card_id
        return [{"card_id": card, "kind": MERCHANT, "place": p} for p in sorted(merchants)] + [
            {"card_id": card, "kind": COUNTRY, "place": p} for p in sorted(countries)
        ]


class FeatureStore:
    def __init__(self, database_url: str | None = None) -> None:
        self.db = Database(features.name, database_url)
        self._compute_merged = Coalescer(self._compute_retried)

    async def start(self) -> None:
        await self.db.start()

    async def stop(self) -> None:
        await self.db.stop()

    async def features_for(self, events: Sequence[CardEvent]) -> dict[str, Features]:
        """Each event's features: stored ones as stored, new ones computed and stored."""
        computed = await self._compute_merged(events)
        return {e.transaction_id: computed[e.transaction_id] for e in events}

    async def _compute_retried(self, events: Sequence[CardEvent]) -> dict[str, Features]:
        """`_compute`, again while another replica wins a race for the same rows.

        A conflict means the other replica committed what this batch collided with (a
        transaction's features, a new card's statistics or places), so the next attempt
        reads it and moves on; with two replicas feeding the same new cards, one batch can
        collide more than once. Every attempt is one transaction, rolled back on failure.
        """
        for _ in range(ATTEMPTS - 1):
            try:
                return await self._compute(events)
            except IntegrityError:  # another replica stored some of them (or a card's row)
                pass
            except DBAPIError as error:  # PostgreSQL chose this batch to break a deadlock
                if getattr(error.orig, "sqlstate", None) != DEADLOCK_DETECTED:
                    raise
        return await self._compute(events)  # the last attempt: its failure is the caller's

    async def stored(self, transaction_id: str) -> Features | None:
        async with self.db.engine.connect() as conn:
            return (await self._stored(conn, [transaction_id])).get(transaction_id)

    async def card_stats(self, card_id: str) -> CardStats | None:
        """The card's running statistics as stored (None before its first transaction)."""
        async with self.db.engine.connect() as conn:
            return (await self._stats(conn, [card_id])).get(card_id)

    async def _compute(self, events: Sequence[CardEvent]) -> dict[str, Features]:
        ids = sorted({e.transaction_id for e in events})
        async with self.db.engine.begin() as conn:
            found = await self._stored(conn, ids)
            new = {e.transaction_id: e for e in events if e.transaction_id not in found}
            if not new:
                return found
            cards: dict[str, _Card] = {}
            for event in sorted(new.values(), key=lambda e: e.order):
                cards.setdefault(event.card_id, _Card([])).new.append(event)
            await self._load(conn, cards)
            rebuilt = [card for card, c in cards.items() if c.replays()]
            history = await self._history(conn, rebuilt)
            computed: dict[str, Features] = {}
            histories: dict[str, CardHistory] = {}
            for card, c in cards.items():
                if c.replays():
                    h = CardHistory()
                    replay = sorted(history.get(card, []) + c.new, key=lambda e: e.order)
                else:
                    h = CardHistory(c.stats, c.merchants, c.countries)
                    replay = c.new
                for event in replay:
                    if event.transaction_id in new:
                        computed[event.transaction_id] = h.features(event)
                    h.add(event)
                histories[card] = h
            await self._write(conn, new, computed, cards, histories)
        return {**found, **computed}

    async def _write(
        self,
        conn: Any,
        new: dict[str, CardEvent],
        computed: dict[str, Features],
        cards: dict[str, _Card],
        histories: dict[str, CardHistory],
    ) -> None:
        now = datetime.now(UTC)
        # vars(), not dataclasses.asdict: these are flat, and asdict deep-copies every field
        await conn.execute(card_events.insert(), [vars(e) for e in new.values()])
        await conn.execute(
            features.insert(),
            [{"transaction_id": i, "computed_at": now, **vars(computed[i])} for i in new],
        )
        places = [p for card, c in cards.items() for p in c.new_places(histories[card])]
        if places:
            await conn.execute(card_places.insert(), places)
        rows = {card: _stats_row(card, h.stats) for card, h in histories.items()}
        added = [rows[card] for card, c in cards.items() if c.stats is None]
        changed = [rows[card] for card, c in cards.items() if c.stats is not None]
        if added:
            await conn.execute(card_stats.insert(), added)
        if changed:
            await conn.execute(
                _UPDATE_STATS, [{f"b_{k}": v for k, v in r.items()} for r in changed]
            )

    async def _load(self, conn: Any, cards: dict[str, _Card]) -> None:
        """Each card's stored statistics, and which of the batch's places it has paid at."""
        for card, stats in (await self._stats(conn, sorted(cards), lock=True)).items():
            cards[card].stats = stats
        wanted = sorted(
            {(card, MERCHANT, e.merchant) for card, c in cards.items() if c.stats for e in c.new}
            | {(card, COUNTRY, e.country) for card, c in cards.items() if c.stats for e in c.new}
        )
        for start in range(0, len(wanted), CHUNK):
            for card, kind, place in await conn.execute(
                *_places_among(wanted[start : start + CHUNK])
            ):
                c = cards[card]
                (c.merchants if kind == MERCHANT else c.countries).add(place)

    async def _stats(
        self, conn: Any, cards: list[str], *, lock: bool = False
    ) -> dict[str, CardStats]:
        """The cards' statistics rows; `lock`: held until the transaction ends (replicas)."""
        out: dict[str, CardStats] = {}
        for start in range(0, len(cards), CHUNK):
            query = sa.select(card_stats).where(
                card_stats.c.card_id.in_(cards[start : start + CHUNK])
            )
            if lock:  # PostgreSQL locks in card order; SQLite's one writer needs no lock
                query = query.order_by(card_stats.c.card_id).with_for_update()
            rows = await conn.execute(query)
            for row in rows:
                out[row.card_id] = CardStats(
                    count=row.count,
                    mean=row.mean,
                    m2=row.m2,
                    last=(_utc(row.last_at), row.last_id),
                    recent=deque(EPOCH + us * MICROSECOND for us in row.recent),
                )
        return out

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

    async def _history(self, conn: Any, cards: list[str]) -> dict[str, list[CardEvent]]:
        events: dict[str, list[CardEvent]] = {}
        for start in range(0, len(cards), CHUNK):
            rows = await conn.execute(
                sa.select(card_events).where(
                    card_events.c.card_id.in_(cards[start : start + CHUNK])
                )
            )
            for row in rows:
                values = row._asdict()
                values["timestamp"] = _utc(values["timestamp"])
                events.setdefault(values["card_id"], []).append(CardEvent(**values))
        return events


def _stats_row(card_id: str, stats: CardStats) -> dict[str, Any]:
    assert stats.last is not None  # a card's history has at least the batch's events
    return {
        "card_id": card_id,
        "count": stats.count,
        "mean": stats.mean,
        "m2": stats.m2,
        "last_at": stats.last[0],
        "last_id": stats.last[1],
        "recent": [_micros(t) for t in stats.recent],
    }


def _places_among(wanted: list[tuple[str, str, str]]) -> tuple[sa.TextClause, dict[str, str]]:
    """A query (and its parameters) for the stored rows among `wanted`, by primary key.

    A join with the wanted rows, not `(card_id, kind, place) IN (...)`, for which SQLite
    scans the whole table. The rows are padded (repeating the last) to a power of two
    so that few distinct statements exist and SQLAlchemy's statement cache holds them.
    """
    size = 1 << (len(wanted) - 1).bit_length()
    padded = wanted + [wanted[-1]] * (size - len(wanted))
    params = {f"{k}{i}": v for i, row in enumerate(padded) for k, v in zip("ckp", row, strict=True)}
    return _places_statement(size), params


@functools.cache
def _places_statement(size: int) -> sa.TextClause:
    rows = ", ".join(f"(:c{i}, :k{i}, :p{i})" for i in range(size))
    return sa.text(
        f"WITH wanted(card_id, kind, place) AS (VALUES {rows}) "
        f"SELECT p.card_id, p.kind, p.place FROM {card_places.name} AS p JOIN wanted AS w "
        "ON p.card_id = w.card_id AND p.kind = w.kind AND p.place = w.place"
    )


_UPDATE_STATS = (
    card_stats.update()
    .where(card_stats.c.card_id == sa.bindparam("b_card_id"))
    .values({c.name: sa.bindparam(f"b_{c.name}") for c in card_stats.c if c.name != "card_id"})
)
