"""The alerting subgraph's schema: `Transaction.alert`, alerts, verdicts and live alerts.

`alert` `@requires` the merchant category (ingestion), the card's counts (features)
and the risk score (anomaly), so the router runs it last: the plan's fourth step.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from apps.fraud.alerting.rules import Severity as SeverityValue
from apps.fraud.alerting.store import AlertStore, Figures, Status, StoredAlert, UnknownAlert
from subgraphs.kit import user_error

REQUIRES = "merchantCategory risk { score } features { countLastMinute countLastHour }"
RANK = {SeverityValue.LOW: 0, SeverityValue.MEDIUM: 1, SeverityValue.HIGH: 2}

Severity = strawberry.enum(SeverityValue, description="How urgent an alert is.")
AlertStatus = strawberry.enum(
    Status, name="AlertStatus", description="The analyst's verdict on an alert."
)


@strawberry.federation.type(shareable=True)
class Risk:
    score: float


@strawberry.federation.type(shareable=True)
class TransactionFeatures:
    count_last_minute: int
    count_last_hour: int


@strawberry.type(description="A transaction the rules flagged, and what the analyst made of it.")
class Alert:
    id: strawberry.ID
    severity: Severity  # type: ignore[valid-type]
    score: float = strawberry.field(description="the risk score the alert was raised on")
    reasons: list[str] = strawberry.field(description="the rules that fired")
    status: AlertStatus  # type: ignore[valid-type]
    created_at: datetime
    resolved_at: datetime | None
    transaction_id: strawberry.Private[str]

    @strawberry.field(description="The flagged transaction.")
    def transaction(self) -> Transaction:
        return Transaction(id=strawberry.ID(self.transaction_id))

    @classmethod
    def of(cls, a: StoredAlert) -> Alert:
        return cls(
            id=strawberry.ID(a.id),
            severity=a.severity,
            score=a.score,
            reasons=a.reasons,
            status=a.status,
            created_at=a.created_at,
            resolved_at=a.resolved_at,
            transaction_id=a.transaction_id,
        )


@strawberry.federation.type(keys=["id"])
class Transaction:
    id: strawberry.ID
    merchant_category: str = strawberry.federation.field(external=True, default="")
    risk: Risk | None = strawberry.federation.field(external=True, default=None)
    features: TransactionFeatures | None = strawberry.federation.field(external=True, default=None)

    @strawberry.federation.field(
        requires=[REQUIRES], description="The alert the rules raised on it, or null."
    )
    async def alert(self, info: strawberry.Info) -> Alert | None:
        if self.risk is None or self.features is None or not self.merchant_category:
            raise user_error(
                f"transaction {self.id}: no risk score or features to decide on "
                "(the anomaly or features subgraph did not answer)",
                code="RISK_MISSING",
            )
        figures = Figures(
            transaction_id=str(self.id),
            category=self.merchant_category,
            score=self.risk.score,
            last_minute=self.features.count_last_minute,
            last_hour=self.features.count_last_hour,
        )
        found = await info.context["alerts"].load(figures)
        return None if found is None else Alert.of(found)

    @classmethod
    def resolve_reference(cls, **representation: Any) -> Transaction:
        risk, features = representation.get("risk"), representation.get("features")
        try:
            return cls(
                id=strawberry.ID(str(representation["id"])),
                merchant_category=str(representation.get("merchantCategory") or ""),
                risk=None if not isinstance(risk, dict) else Risk(score=float(risk["score"])),
                features=(
                    None
                    if not isinstance(features, dict)
                    else TransactionFeatures(
                        count_last_minute=int(features["countLastMinute"]),
                        count_last_hour=int(features["countLastHour"]),
                    )
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise user_error(f"a Transaction representation is incomplete: {exc}") from exc


def _store(info: strawberry.Info) -> AlertStore:
    store: AlertStore = info.context["store"]
    return store


@strawberry.type
class Query:
    @strawberry.field(description="Alerts, newest first; only those with `status` when given.")
    async def alerts(
        self,
        info: strawberry.Info,
        status: AlertStatus | None = None,  # type: ignore[valid-type]
        limit: int = 100,
    ) -> list[Alert]:
        if not 1 <= limit <= 1000:
            raise user_error(f"limit must be between 1 and 1000 (got {limit})")
        return [Alert.of(a) for a in await _store(info).listed(status, limit)]

    @strawberry.field(description="One alert by id, or null.")
    async def alert(self, info: strawberry.Info, id: strawberry.ID) -> Alert | None:
        found = await _store(info).get(str(id))
        return None if found is None else Alert.of(found)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="The analyst's verdict: `fraud` true or false (kept as a training label)."
    )
    async def resolve_alert(self, info: strawberry.Info, id: strawberry.ID, fraud: bool) -> Alert:
        try:
            return Alert.of(await _store(info).resolve(str(id), fraud))
        except UnknownAlert as exc:
            raise user_error(f"no alert {id!r}", code="NOT_FOUND") from exc


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Each alert as it is raised, from now on.")
    async def alert_raised(
        self,
        info: strawberry.Info,
        min_severity: Severity = SeverityValue.LOW,  # type: ignore[valid-type]
    ) -> AsyncGenerator[Alert, None]:
        async with _store(info).raised.subscribe() as queue:
            while True:
                alert = await queue.get()
                if RANK[alert.severity] >= RANK[min_severity]:
                    yield Alert.of(alert)


def context_for(store: AlertStore) -> Any:
    """Per request: every representation's alert decided in one batch."""

    async def load(figures: list[Figures]) -> list[StoredAlert | None]:
        found = await store.decide(figures)
        return [found[f.transaction_id] for f in figures]

    def values(_request: Any) -> dict[str, Any]:
        loader = DataLoader(load_fn=load, max_batch_size=10_000, cache=False)
        return {"store": store, "alerts": loader}

    return values


def build_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Transaction, Alert, Risk, TransactionFeatures],
    )
