"""The features subgraph's schema: `Transaction.features`, from the fields ingestion owns.

`TransactionFeatures` is a shareable value type: the anomaly and alerting subgraphs
declare the same fields (or a subset) to `@requires` them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from apps.fraud.currencies import CURRENCIES, to_eur
from apps.fraud.features.compute import CardEvent, Features
from apps.fraud.features.store import FeatureStore
from subgraphs.kit import user_error

REQUIRED = ("amount", "currency", "merchant", "country", "cardId", "timestamp")


@strawberry.federation.type(
    shareable=True, description="How a transaction compares with its card's history."
)
class TransactionFeatures:
    amount_eur: float = strawberry.field(description="the amount in euros (fixed rates)")
    amount_z_score: float = strawberry.field(
        description="(amount - card mean) / card spread; 0 for a card's first transaction"
    )
    amount_to_mean_ratio: float = strawberry.field(description="amount / card mean; 1 at first")
    card_history_count: int = strawberry.field(description="the card's earlier transactions")
    count_last_minute: int = strawberry.field(description="of them, in the last 60 s")
    count_last_hour: int = strawberry.field(description="of them, in the last hour")
    first_at_merchant: bool = strawberry.field(description="the card never paid here before")
    first_in_country: bool = strawberry.field(description="the card never paid in this country")
    seconds_since_previous: float | None = strawberry.field(
        description="since the card's previous transaction; null for its first"
    )

    @classmethod
    def of(cls, f: Features) -> TransactionFeatures:
        return cls(**vars(f))


@strawberry.federation.type(keys=["id"])
class Transaction:
    id: strawberry.ID
    amount: float = strawberry.federation.field(external=True)
    currency: str = strawberry.federation.field(external=True)
    merchant: str = strawberry.federation.field(external=True)
    country: str = strawberry.federation.field(external=True)
    card_id: str = strawberry.federation.field(external=True)
    timestamp: datetime = strawberry.federation.field(external=True)

    @strawberry.federation.field(requires=[" ".join(REQUIRED)])
    async def features(self, info: strawberry.Info) -> TransactionFeatures | None:
        if self.currency not in CURRENCIES:
            raise user_error(f"transaction {self.id}: unknown currency {self.currency!r}")
        event = CardEvent(
            transaction_id=str(self.id),
            card_id=self.card_id,
            timestamp=self.timestamp,
            amount_eur=to_eur(self.amount, self.currency),
            merchant=self.merchant,
            country=self.country,
        )
        return TransactionFeatures.of(await info.context["features"].load(event))

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Transaction:
        missing = [name for name in ("id", *REQUIRED) if representation.get(name) is None]
        if missing:
            raise user_error(f"a Transaction representation needs {', '.join(missing)}")
        try:
            timestamp = datetime.fromisoformat(str(representation["timestamp"]))
            amount = float(representation["amount"])
        except (TypeError, ValueError) as exc:
            raise user_error(f"a Transaction representation has a bad value: {exc}") from exc
        return cls(
            id=strawberry.ID(str(representation["id"])),
            amount=amount,
            currency=str(representation["currency"]),
            merchant=str(representation["merchant"]),
            country=str(representation["country"]),
            card_id=str(representation["cardId"]),
            timestamp=timestamp,
        )


@strawberry.type
class Query:
    @strawberry.field(description="The stored features of a transaction, or null.")
    async def transaction_features(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> TransactionFeatures | None:
        store: FeatureStore = info.context["store"]
        found = await store.stored(str(id))
        return None if found is None else TransactionFeatures.of(found)


def context_for(store: FeatureStore) -> Any:
    """Per request: a loader that computes every representation's features in one batch."""

    async def load(events: list[CardEvent]) -> list[Features]:
        found = await store.features_for(events)
        return [found[e.transaction_id] for e in events]

    def values(_request: Any) -> dict[str, Any]:
        loader = DataLoader(load_fn=load, max_batch_size=10_000, cache=False)
        return {"store": store, "features": loader}

    return values


def build_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=Query, types=[Transaction, TransactionFeatures])
