"""The anomaly subgraph's schema: `Transaction.risk`, computed from `Transaction.features`.

`TransactionFeatures` is declared as the features subgraph declares it (a shareable
value type); the router fetches it there first, because `risk` `@requires` it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from apps.fraud.anomaly.served import Scored
from apps.fraud.anomaly.store import RiskStore, StoredRisk
from apps.fraud.anomaly.vector import SELECTION, features_from_graphql, vector
from subgraphs.kit import ModelRef, ServedModel, model_stats_field, reload_mutation, user_error


@strawberry.federation.type(shareable=True)
class TransactionFeatures:
    amount_eur: float
    amount_z_score: float
    amount_to_mean_ratio: float
    card_history_count: int
    count_last_minute: int
    count_last_hour: int
    first_at_merchant: bool
    first_in_country: bool
    seconds_since_previous: float | None


@strawberry.federation.type(shareable=True, description="How likely a transaction is fraud.")
class Risk:
    score: float = strawberry.field(description="probability of fraud, 0 to 1")
    model: ModelRef
    reasons: list[str] = strawberry.field(
        description="the features that pushed the score up most (TransactionFeatures fields)"
    )

    @classmethod
    def of(cls, stored: StoredRisk) -> Risk:
        model = ModelRef(name=stored.model_name, version=stored.model_version)
        return cls(score=stored.score, model=model, reasons=stored.reasons)


@strawberry.federation.type(keys=["id"])
class Transaction:
    id: strawberry.ID
    features: TransactionFeatures | None = strawberry.federation.field(external=True)

    @strawberry.federation.field(requires=[SELECTION])
    async def risk(self, info: strawberry.Info) -> Risk | None:
        return Risk.of(await info.context["risks"].load(str(self.id)))

    @classmethod
    def resolve_reference(cls, info: strawberry.Info, **representation: Any) -> Transaction:
        transaction_id = str(representation.get("id", ""))
        value = representation.get("features")
        if not isinstance(value, dict):
            raise user_error(
                f"transaction {transaction_id!r} has no features to score "
                "(the features subgraph did not answer)",
                code="FEATURES_MISSING",
            )
        try:
            features = features_from_graphql(value)
        except (KeyError, TypeError, ValueError) as exc:
            raise user_error(
                f"transaction {transaction_id!r}: incomplete features ({exc})"
            ) from exc
        info.context["vectors"][transaction_id] = vector(features)
        return cls(id=strawberry.ID(transaction_id), features=None)


def context_for(store: RiskStore, served: ServedModel[Any, list[float], Scored]) -> Any:
    """Per request: every representation's risk in one batch, stored ones read back."""

    def values(_request: Any) -> dict[str, Any]:
        vectors: dict[str, list[float]] = {}

        async def load(ids: list[str]) -> list[StoredRisk]:
            found = await store.stored(ids)
            new = [i for i in dict.fromkeys(ids) if i not in found]
            predictions = await asyncio.gather(*(served(vectors[i]) for i in new))
            scored = {
                i: StoredRisk(score, ref.name, ref.version, reasons)
                for i, ((score, reasons), ref) in zip(new, predictions, strict=True)
            }
            found.update(await store.keep(scored))
            return [found[i] for i in ids]

        return {"risks": DataLoader(load_fn=load, max_batch_size=10_000), "vectors": vectors}

    return values


def build_schema(served: ServedModel[Any, list[float], Scored]) -> strawberry.federation.Schema:
    @strawberry.type
    class Query:
        anomaly_model_stats = model_stats_field(default="anomaly")

    @strawberry.type
    class Mutation:
        reload_anomaly_model = reload_mutation(served)

    return strawberry.federation.Schema(
        query=Query, mutation=Mutation, types=[Transaction, TransactionFeatures, Risk]
    )
