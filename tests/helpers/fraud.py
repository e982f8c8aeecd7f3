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
