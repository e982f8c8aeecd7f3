"""The ingestion subgraph's schema: `Transaction` (the entity every fraud subgraph extends).

`submitTransaction` / `submitTransactions` validate, then store; the other subgraphs
add `features`, `risk` and `alert` to the returned transaction through the router.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.dataloader import DataLoader

from apps.fraud.ingestion.store import IdempotencyConflict, StoredTransaction, TransactionStore
from apps.fraud.ingestion.validation import MAX_BATCH, Submitted, as_utc, problems
from subgraphs.kit import user_error

MAX_LISTED = 5  # problems spelled out in the message; all are in extensions.invalid


@strawberry.federation.type(keys=["id"], description="A card payment, as it was submitted.")
class Transaction:
    id: strawberry.ID
    client_key: str = strawberry.field(description="the client's idempotency key")
    amount: float
    currency: str = strawberry.field(description="ISO 4217 code")
    merchant: str
    merchant_category: str = strawberry.field(description="e.g. grocery, electronics")
    country: str = strawberry.field(description="ISO 3166 alpha-2 code of the merchant")
    card_id: str
    timestamp: datetime

    @classmethod
    def of(cls, tx: StoredTransaction) -> Transaction:
        return cls(
            id=strawberry.ID(tx.id),
            client_key=tx.client_key,
            amount=tx.amount,
            currency=tx.currency,
            merchant=tx.merchant,
            merchant_category=tx.merchant_category,
            country=tx.country,
            card_id=tx.card_id,
            timestamp=tx.timestamp,
        )

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> Transaction:
        found = await info.context["transactions"].load(str(id))
        if found is None:
            raise user_error(f"no transaction {id!r}", code="NOT_FOUND")
        return cls.of(found)


@strawberry.input(description="A transaction to submit; `clientKey` makes retries safe.")
class TransactionInput:
    client_key: str = strawberry.field(
        description="unique per transaction: sending it again returns the stored one"
    )
    amount: float = strawberry.field(description="positive, in `currency`")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR")
    merchant: str
    merchant_category: str = strawberry.field(description="lower_snake_case, e.g. grocery")
    country: str = strawberry.field(description="ISO 3166 alpha-2 code, e.g. DE")
    card_id: str
    timestamp: datetime | None = strawberry.field(
        default=None, description="when it happened (default: now); no offset means UTC"
    )

    def submitted(self) -> Submitted:
        return Submitted(
            client_key=self.client_key,
            amount=self.amount,
            currency=self.currency,
            merchant=self.merchant,
            merchant_category=self.merchant_category,
            country=self.country,
            card_id=self.card_id,
            timestamp=as_utc(self.timestamp),
        )


def _store(info: strawberry.Info) -> TransactionStore:
    store: TransactionStore = info.context["store"]
    return store


async def _submit(
    info: strawberry.Info, inputs: list[TransactionInput], argument: str
) -> list[Transaction]:
    items = [i.submitted() for i in inputs]
    invalid = [
        problem.at(f"{argument}[{index}]" if argument == "inputs" else argument)
        for index, tx in enumerate(items)
        for problem in problems(tx)
    ]
    if invalid:
        listed = "; ".join(f"{p['field']}: {p['message']}" for p in invalid[:MAX_LISTED])
        more = f" (and {len(invalid) - MAX_LISTED} more)" if len(invalid) > MAX_LISTED else ""
        raise user_error(
            f"invalid transaction input, nothing was stored: {listed}{more}", invalid=invalid
        )
    try:
        stored = await _store(info).submit(items, [i.timestamp is not None for i in inputs])
    except IdempotencyConflict as exc:
        raise _conflict(exc, argument) from exc
    return [Transaction.of(tx) for tx in stored]


def _conflict(exc: IdempotencyConflict, argument: str) -> GraphQLError:
    index, key, stored = exc.conflicts[0]
    where = f"{argument}[{index}]" if argument == "inputs" else argument
    return user_error(
        f"{where}.clientKey {key!r} was already used for a different transaction ({stored}); "
        "nothing was stored",
        code="IDEMPOTENCY_CONFLICT",
        conflicts=[{"index": i, "clientKey": k, "transactionId": t} for i, k, t in exc.conflicts],
    )


@strawberry.type
class Query:
    @strawberry.field(description="One transaction by id, or null.")
    async def transaction(self, info: strawberry.Info, id: strawberry.ID) -> Transaction | None:
        found = await info.context["transactions"].load(str(id))
        return None if found is None else Transaction.of(found)

    @strawberry.field(description="A card's latest transactions, newest first.")
    async def card_transactions(
        self, info: strawberry.Info, card_id: str, limit: int = 50
    ) -> list[Transaction]:
        if not 1 <= limit <= 1000:
            raise user_error(f"limit must be between 1 and 1000 (got {limit})")
        return [Transaction.of(tx) for tx in await _store(info).for_card(card_id, limit)]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Validate and store one transaction (idempotent by key).")
    async def submit_transaction(
        self, info: strawberry.Info, input: TransactionInput
    ) -> Transaction:
        (stored,) = await _submit(info, [input], "input")
        return stored

    @strawberry.mutation(
        description=f"Validate and store up to {MAX_BATCH:,} transactions, all or none."
    )
    async def submit_transactions(
        self, info: strawberry.Info, inputs: list[TransactionInput]
    ) -> list[Transaction]:
        if len(inputs) > MAX_BATCH:
            raise user_error(
                f"a batch holds at most {MAX_BATCH:,} transactions (got {len(inputs):,}); "
                "nothing was stored",
                code="BATCH_TOO_LARGE",
            )
        return await _submit(info, inputs, "inputs")


def context_for(store: TransactionStore) -> Any:
    """Per request: the store and a loader that reads every referenced id in one query."""

    async def load(ids: list[str]) -> list[StoredTransaction | None]:
        found = await store.by_ids(ids)
        return [found.get(i) for i in ids]

    def values(_request: Any) -> dict[str, Any]:
        return {"store": store, "transactions": DataLoader(load_fn=load, max_batch_size=5000)}

    return values


def build_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=Query, mutation=Mutation, types=[Transaction])
