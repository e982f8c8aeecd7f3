"""Analysts' verdicts as training rows: what `resolveAlert` stored, for the next training run.

A verdict lives in alerting's `fraud_alerts.status` (fraud or legitimate); the
transaction's features as they were scored live in features' `fraud_features`.
Both owners' tables are read here, by their table definitions, never written. The
trainer's `labels` option says where from (docs/fraud.md, "Labels").
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from apps.fraud.alerting.tables import alerts
from apps.fraud.features.compute import Features
from apps.fraud.features.tables import features
from models.db import create_engine

__all__ = ["Labelled", "labels_url", "read_labels"]

VERDICTS = {"fraud": True, "legitimate": False}  # fraud_alerts.status of a verdict


@dataclass(frozen=True)
class Labelled:
    transaction_id: str
    features: Features
    fraud: bool


def labels_url(option: str) -> str | None:
    """The database the `labels` option names: "stack" (CHORUS_DATABASE_URL), "none", a URL."""
    if option == "none":
        return None
    if option == "stack":
        return os.environ.get("CHORUS_DATABASE_URL") or None
    return option


def read_labels(database_url: str) -> list[Labelled]:
    """Every resolved alert with its transaction's features, oldest verdict first.

    Synchronous (trainers are); the query runs on its own event loop in a thread,
    so this works whether or not the caller has a loop running.
    """
    found: list[Labelled] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            found.extend(asyncio.run(_read(database_url)))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="fraud-labels")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return found


_FEATURE_COLUMNS = [c for c in features.c if c.name not in ("transaction_id", "computed_at")]


async def _read(database_url: str) -> list[Labelled]:
    engine = create_engine(database_url)
    query = (
        sa.select(alerts.c.transaction_id, alerts.c.status, *_FEATURE_COLUMNS)
        .join(features, features.c.transaction_id == alerts.c.transaction_id)
        .where(alerts.c.status.in_(list(VERDICTS)))
        .order_by(alerts.c.resolved_at, alerts.c.transaction_id)
    )
    try:
        async with engine.connect() as conn:
            present = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
            if not {alerts.name, features.name} <= present:
                return []  # alerting or features never migrated here: nobody labelled anything
            rows = (await conn.execute(query)).mappings().all()
    finally:
        await engine.dispose()
    return [Labelled(str(r["transaction_id"]), _features(r), VERDICTS[r["status"]]) for r in rows]


def _features(r: Any) -> Features:
    """The row's columns are the features' fields (features' table stores them by name)."""
    return Features(**{f.name: r[f.name] for f in fields(Features)})
