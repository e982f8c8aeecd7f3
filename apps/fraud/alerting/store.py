"""Alerts stored once per transaction, resolved by analysts, announced when raised."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from apps.fraud.alerting.broadcast import Broadcast
from apps.fraud.alerting.rules import Rules, Severity
from apps.fraud.alerting.tables import alerts
from apps.fraud.database import Database

CHUNK = 500


class Status(Enum):
    OPEN = "open"
    FRAUD = "fraud"
    LEGITIMATE = "legitimate"


@dataclass(frozen=True)
class Figures:
    """What the rules decide on, for one transaction."""

    transaction_id: str
    category: str
    score: float
    last_minute: int
    last_hour: int


@dataclass(frozen=True)
class StoredAlert:
    id: str
    transaction_id: str
    severity: Severity
    score: float
    reasons: list[str]
    status: Status
    created_at: datetime
    resolved_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> StoredAlert:
        return cls(
            id=row.id,
            transaction_id=row.transaction_id,
            severity=Severity(row.severity),
            score=row.score,
            reasons=list(row.reasons),
            status=Status(row.status),
            created_at=_utc(row.created_at),
            resolved_at=None if row.resolved_at is None else _utc(row.resolved_at),
        )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class UnknownAlert(LookupError):
    pass


class AlertStore:
    def __init__(self, rules: Rules, database_url: str | None = None) -> None:
        self.rules = rules
        self.db = Database(alerts.name, database_url)
        self.raised: Broadcast[StoredAlert] = Broadcast()

    async def start(self) -> None:
        await self.db.start()

    async def stop(self) -> None:
        await self.db.stop()

    async def decide(self, figures: Sequence[Figures]) -> dict[str, StoredAlert | None]:
        """Each transaction's alert: the stored one, a new one the rules raise, or None."""
        ids = [f.transaction_id for f in figures]
        found: dict[str, StoredAlert | None] = dict(await self.by_transactions(ids))
        now = datetime.now(UTC)
        new: dict[str, StoredAlert] = {}
        for f in figures:
            if f.transaction_id in found or f.transaction_id in new:
                continue
            decision = self.rules.decide(f.category, f.score, f.last_minute, f.last_hour)
            if decision is None:
                found[f.transaction_id] = None
                continue
            new[f.transaction_id] = StoredAlert(
                id=str(uuid.uuid4()),
                transaction_id=f.transaction_id,
                severity=decision.severity,
                score=f.score,
                reasons=decision.reasons,
                status=Status.OPEN,
                created_at=now,
                resolved_at=None,
            )
        if new:
            try:
                async with self.db.engine.begin() as conn:
                    await conn.execute(alerts.insert(), [_row(a) for a in new.values()])
            except IntegrityError:  # raised meanwhile by another request: read theirs
                return {
                    **found,
                    **await self.decide([f for f in figures if f.transaction_id in new]),
                }
            for alert in new.values():
                self.raised.publish(alert)
        return {**found, **new}

    async def by_transactions(self, ids: Sequence[str]) -> dict[str, StoredAlert]:
        found: dict[str, StoredAlert] = {}
        unique = sorted(set(ids))
        async with self.db.engine.connect() as conn:
            for start in range(0, len(unique), CHUNK):
                rows = await conn.execute(
                    sa.select(alerts).where(
                        alerts.c.transaction_id.in_(unique[start : start + CHUNK])
                    )
                )
                found.update((row.transaction_id, StoredAlert.from_row(row)) for row in rows)
        return found

    async def get(self, alert_id: str) -> StoredAlert | None:
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(sa.select(alerts).where(alerts.c.id == alert_id))).first()
        return None if row is None else StoredAlert.from_row(row)

    async def listed(self, status: Status | None, limit: int) -> list[StoredAlert]:
        query = sa.select(alerts).order_by(alerts.c.created_at.desc(), alerts.c.id).limit(limit)
        if status is not None:
            query = query.where(alerts.c.status == status.value)
        async with self.db.engine.connect() as conn:
            return [StoredAlert.from_row(row) for row in await conn.execute(query)]

    async def resolve(self, alert_id: str, fraud: bool) -> StoredAlert:
        """Record the analyst's verdict (a later verdict replaces an earlier one)."""
        status = Status.FRAUD if fraud else Status.LEGITIMATE
        async with self.db.engine.begin() as conn:
            done = await conn.execute(
                alerts.update()
                .where(alerts.c.id == alert_id)
                .values(status=status.value, resolved_at=datetime.now(UTC))
            )
            if done.rowcount == 0:
                raise UnknownAlert(alert_id)
        found = await self.get(alert_id)
        assert found is not None
        return found


def _row(alert: StoredAlert) -> dict[str, Any]:
    return {
        **vars(alert),
        "severity": alert.severity.value,
        "status": alert.status.value,
    }
