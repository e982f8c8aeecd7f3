"""Transactions stored once per client key: a batch is written whole or not at all.

Idempotency: a client key seen before returns the stored transaction. The same key
with different content is a client bug (two transactions under one key) and is
refused, whether the first came in an earlier request or earlier in the same batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from apps.fraud.database import Database
from apps.fraud.ingestion.tables import transactions
from apps.fraud.ingestion.validation import Submitted, as_utc

CHUNK = 500  # keys per IN (...) list: under SQLite's bound-parameter limit


@dataclass(frozen=True)
class StoredTransaction:
    id: str
    client_key: str
    amount: float
    currency: str
    merchant: str
    merchant_category: str
    country: str
    card_id: str
    timestamp: datetime

    @classmethod
    def from_row(cls, row: Any) -> StoredTransaction:
        return cls(
            id=row.id,
            client_key=row.client_key,
            amount=row.amount,
            currency=row.currency,
            merchant=row.merchant,
            merchant_category=row.merchant_category,
            country=row.country,
            card_id=row.card_id,
            timestamp=as_utc(row.timestamp),
        )

    def same_as(self, tx: Submitted, timestamp_given: bool) -> bool:
        """Whether `tx` is this transaction sent again (a retry without a timestamp is)."""
        return (
            self.amount == tx.amount
            and self.currency == tx.currency
            and self.merchant == tx.merchant
            and self.merchant_category == tx.merchant_category
            and self.country == tx.country
            and self.card_id == tx.card_id
            and (not timestamp_given or self.timestamp == tx.timestamp)
        )


class IdempotencyConflict(Exception):
    """Client keys already used for other transactions: (index in the batch, key, stored id)."""

    def __init__(self, conflicts: list[tuple[int, str, str]]) -> None:
        self.conflicts = conflicts
        super().__init__(f"{len(conflicts)} client keys reused for different transactions")


class TransactionStore:
    def __init__(self, database_url: str | None = None) -> None:
        self.db = Database(transactions.name, database_url)

    async def start(self) -> None:
        await self.db.start()

    async def stop(self) -> None:
        await self.db.stop()

    async def submit(
        self, items: Sequence[Submitted], timestamps_given: Sequence[bool]
    ) -> list[StoredTransaction]:
        """Store what is new, return every item's transaction in order (one transaction)."""
        try:
            return await self._submit(items, timestamps_given)
        except IntegrityError:
            # another request stored one of these keys between our read and our insert:
            # read again, those keys are now "seen before"
            return await self._submit(items, timestamps_given)

    async def _submit(
        self, items: Sequence[Submitted], timestamps_given: Sequence[bool]
    ) -> list[StoredTransaction]:
        now = datetime.now(UTC)
        async with self.db.engine.begin() as conn:
            known = await self._by_keys(conn, {tx.client_key for tx in items})
            result: list[StoredTransaction] = []
            new_rows: list[dict[str, Any]] = []
            conflicts: list[tuple[int, str, str]] = []
            for index, (tx, given) in enumerate(zip(items, timestamps_given, strict=True)):
                stored = known.get(tx.client_key)
                if stored is None:
                    stored = StoredTransaction(id=str(uuid.uuid4()), **vars(tx))
                    known[tx.client_key] = stored
                    new_rows.append({**vars(stored), "created_at": now})
                elif not stored.same_as(tx, given):
                    conflicts.append((index, tx.client_key, stored.id))
                result.append(stored)
            if conflicts:
                raise IdempotencyConflict(conflicts)
            if new_rows:
                await conn.execute(transactions.insert(), new_rows)
        return result

    async def _by_keys(self, conn: Any, keys: Iterable[str]) -> dict[str, StoredTransaction]:
        found: dict[str, StoredTransaction] = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            rows = await conn.execute(
                sa.select(transactions).where(transactions.c.client_key.in_(chunk))
            )
            for row in rows:
                found[row.client_key] = StoredTransaction.from_row(row)
        return found

    async def by_ids(self, ids: Sequence[str]) -> dict[str, StoredTransaction]:
        found: dict[str, StoredTransaction] = {}
        unique = sorted(set(ids))
        async with self.db.engine.connect() as conn:
            for start in range(0, len(unique), CHUNK):
                chunk = unique[start : start + CHUNK]
                rows = await conn.execute(
                    sa.select(transactions).where(transactions.c.id.in_(chunk))
                )
                found.update((row.id, StoredTransaction.from_row(row)) for row in rows)
        return found

    async def for_card(self, card_id: str, limit: int) -> list[StoredTransaction]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(transactions)
                .where(transactions.c.card_id == card_id)
                .order_by(transactions.c.timestamp.desc(), transactions.c.id)
                .limit(limit)
            )
            return [StoredTransaction.from_row(row) for row in rows]
