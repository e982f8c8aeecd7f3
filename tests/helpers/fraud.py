"""Shared set-up of the fraud application's tests: migrated databases and GraphQL calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

import migrations

FRAUD = ("ingestion", "features", "anomaly", "alerting")


def migrated(folder: Path, *subgraphs: str) -> str:
    """An SQLite database in `folder` with the framework's and these subgraphs' tables."""
    url = f"sqlite+aiosqlite:///{folder / 'chorus.db'}"
    migrations.upgrade(url, owners=[f"apps.fraud.{name}" for name in subgraphs or FRAUD])
    return url


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's start-up (tables checked, models loaded) and hand out a client for it."""
    async with app.router.lifespan_context(app):
        await app.state.readiness.wait()
        assert app.state.readiness.ready, app.state.readiness.error
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://subgraph") as client:
            yield client


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def tx_input(key: str, **overrides: Any) -> dict[str, Any]:
    """A valid TransactionInput (as GraphQL variables), changed by `overrides`."""
    value: dict[str, Any] = {
        "clientKey": key,
        "amount": 42.5,
        "currency": "EUR",
        "merchant": "Corner Grocer",
        "merchantCategory": "grocery",
        "country": "DE",
        "cardId": "card-1",
        "timestamp": "2025-03-04T12:00:00+00:00",
    }
    value.update(overrides)
    return value


def velocity_model(folder: Path, minute_weight: float = 3.0) -> Path:
    """A hand-set risk model: only `countLastMinute` counts (a logit of -4 without it)."""
    import torch

    from apps.fraud.anomaly.model import RiskModel
    from apps.fraud.anomaly.vector import NAMES

    weight = torch.zeros(len(NAMES))
    weight[NAMES.index("countLastMinute")] = minute_weight
    model = RiskModel(weight, torch.tensor(-4.0), torch.zeros(len(NAMES)), torch.ones(len(NAMES)))
    model.save(folder)
    return folder


async def register_anomaly(url: str, version: str, path: Path) -> None:
    """Register `path` as a production version of the `anomaly` model."""
    from models.db import create_engine
    from models.registry import ModelRegistry

    engine = create_engine(url)
    try:
        await ModelRegistry(engine).register("anomaly", version, str(path), {}, "h", "production")
    finally:
        await engine.dispose()


def features_value(count_last_minute: int = 0, **overrides: Any) -> dict[str, Any]:
    """`TransactionFeatures` as the router puts it in a representation."""
    value: dict[str, Any] = {
        "amountEur": 20.0,
        "amountZScore": 0.1,
        "amountToMeanRatio": 1.0,
        "cardHistoryCount": 30,
        "countLastMinute": count_last_minute,
        "countLastHour": count_last_minute,
        "firstAtMerchant": False,
        "firstInCountry": False,
        "secondsSincePrevious": 3600.0,
    }
    value.update(overrides)
    return value
