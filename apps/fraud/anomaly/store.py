"""Risk scores stored once per transaction (the first score a transaction got stays)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from apps.fraud.anomaly.tables import risks
from apps.fraud.database import Database

CHUNK = 500


@dataclass(frozen=True)
class StoredRisk:
    score: float
    model_name: str
    model_version: str
    reasons: list[str]


class RiskStore:
    def __init__(self, database_url: str | None = None) -> None:
        self.db = Database(risks.name, database_url)

    async def start(self) -> None:
        await self.db.start()

    async def stop(self) -> None:
        await self.db.stop()

    async def stored(self, ids: Sequence[str]) -> dict[str, StoredRisk]:
        found: dict[str, StoredRisk] = {}
        unique = sorted(set(ids))
        async with self.db.engine.connect() as conn:
            for start in range(0, len(unique), CHUNK):
                rows = await conn.execute(
                    sa.select(risks).where(
                        risks.c.transaction_id.in_(unique[start : start + CHUNK])
                    )
                )
                for row in rows:
                    found[row.transaction_id] = StoredRisk(
                        row.score, row.model_name, row.model_version, list(row.reasons)
                    )
        return found

    async def keep(self, scored: dict[str, StoredRisk]) -> dict[str, StoredRisk]:
        """Store new scores; where another request stored one first, that one wins."""
        if not scored:
            return {}
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = [
            {"transaction_id": i, "scored_at": now, **vars(risk)} for i, risk in scored.items()
        ]
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(risks.insert(), rows)
        except IntegrityError:
            stored = await self.stored(list(scored))
            missing = {i: r for i, r in scored.items() if i not in stored}
            return {**stored, **await self.keep(missing)}
        return scored
